/**
 * Roles of a person in an organization, and what each may do (docs/dashboard-api.md, "Roles"):
 * - member: read everything of the org (keys without secrets, balance, usage, webhooks, deliveries),
 *   create generations (the playground), leave;
 * - admin: also create/rotate/revoke keys and set their limits, add funds, manage webhooks, invite people;
 * - owner: also change roles, remove admins and owners. An org always keeps at least one owner.
 */
export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** Whether `role` may do what needs `needed`. */
export const hasRole = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** What each role may do, as the dashboard and the docs show it. */
export const ROLE_MATRIX: ReadonlyArray<{ action: string; needs: Role }> = [
  { action: 'read keys, balance, top-ups, usage, webhooks and deliveries', needs: 'member' },
  { action: 'create generations (playground)', needs: 'member' },
  { action: 'leave the organization', needs: 'member' },
  { action: 'create, rotate, revoke keys; set key spend limits', needs: 'admin' },
  { action: 'add funds (Stripe checkout)', needs: 'admin' },
  { action: 'create, change, delete, test webhook endpoints; retry deliveries', needs: 'admin' },
  { action: 'invite people (as admin or member); remove members', needs: 'admin' },
  { action: 'change roles; remove admins and owners', needs: 'owner' },
];
