import type { DataSource } from 'typeorm';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError, forbidden, notFoundError } from '../errors/api-error';
import { hashSecret, ID_PATTERNS, keyPrefixOf, newKeyId, newKeySecret } from '../orgs/ids';
import type { OrgService } from '../orgs/org.service';
import { hasRole, Role } from './roles';

export interface MyOrg {
  id: string;
  object: 'organization';
  name: string;
  role: Role;
  created_at: number;
}

export interface Member {
  object: 'org_member';
  user_id: string;
  email: string;
  role: Role;
  joined_at: number;
}

const unix = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);

const memberView = (r: any): Member => ({ object: 'org_member', user_id: r.user_id, email: r.email, role: r.role, joined_at: unix(r.created_at) });

/**
 * Who belongs to which organization, with which role, and the per-org dashboard key. The rules (who may
 * change whom) live here, framework-free; roles.ts holds the matrix. An org always keeps an owner.
 */
export class Memberships {
  private readonly dashboardKeys = new Map<string, string>();

  constructor(
    private readonly ds: DataSource,
    private readonly orgs: OrgService,
  ) {}

  /** A new org whose creator is its owner (one transaction: never an org without an owner). */
  async createOrg(userId: string, name: string): Promise<MyOrg> {
    return this.ds.transaction(async (m) => {
      const org = await this.orgs.createOrg(name, {}, m);
      await m.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org.id, userId]);
      return { id: org.id, object: 'organization' as const, name: org.name, role: 'owner' as const, created_at: org.created_at };
    });
  }

  async orgsOf(userId: string): Promise<MyOrg[]> {
    const rows = await this.ds.query(
      `SELECT o.id, o.name, o.created_at, m.role FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.created_at, o.id`,
      [userId],
    );
    return rows.map((r: any) => ({ id: r.id, object: 'organization', name: r.name, role: r.role, created_at: unix(r.created_at) }));
  }

  /** The caller's role in the org; 404 when they are not a member (another org's id reveals nothing). */
  async requireRole(userId: string, orgId: string, needed: Role): Promise<Role> {
    const role = ID_PATTERNS.org.test(orgId) ? await this.roleOf(userId, orgId) : undefined;
    if (!role) throw notFoundError(`Organization ${orgId} not found`);
    if (!hasRole(role, needed)) throw forbidden(`This needs the ${needed} role in this organization; you are ${role === 'admin' ? 'an admin' : `a ${role}`}. Ask an owner.`);
    return role;
  }

  async roleOf(userId: string, orgId: string): Promise<Role | undefined> {
    const [row] = await this.ds.query(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
    return row?.role;
  }

  async members(orgId: string): Promise<Member[]> {
    const rows = await this.ds.query(
      `SELECT m.user_id, u.email, m.role, m.created_at FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id`,
      [orgId],
    );
    return rows.map(memberView);
  }

  /** Owners change roles (an org keeps at least one owner). */
  async setRole(actorId: string, orgId: string, userId: string, role: Role): Promise<Member> {
    await this.requireRole(actorId, orgId, 'owner');
    return this.ds.transaction(async (m) => {
      const target = await this.lockedMember(m, orgId, userId);
      if (target.role === 'owner' && role !== 'owner') await this.keepAnOwner(m, orgId);
      await m.query(`UPDATE org_members SET role = $3 WHERE org_id = $1 AND user_id = $2`, [orgId, userId, role]);
      const [row] = await m.query(`SELECT m.user_id, u.email, m.role, m.created_at FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2`, [orgId, userId]);
      return memberView(row);
    });
  }

  /**
   * Removes a member. Yourself: leaving (any role; the last owner cannot leave). Someone else: admins
   * remove members; owners remove anyone.
   */
  async remove(actorId: string, orgId: string, userId: string): Promise<Member> {
    const actorRole = await this.requireRole(actorId, orgId, 'member');
    return this.ds.transaction(async (m) => {
      const target = await this.lockedMember(m, orgId, userId);
      if (actorId !== userId) {
        if (!hasRole(actorRole, 'admin')) throw forbidden('Only admins and owners remove members. To leave, remove yourself.');
        if (target.role !== 'member' && actorRole !== 'owner') throw forbidden(`Only an owner removes ${target.role === 'admin' ? 'an admin' : 'an owner'}.`);
      }
      if (target.role === 'owner') await this.keepAnOwner(m, orgId);
      const [row] = await m.query(`SELECT m.user_id, u.email, m.role, m.created_at FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2`, [orgId, userId]);
      await m.query(`DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
      return memberView(row);
    });
  }

  /** Adds a member (an accepted invitation); an existing member keeps the higher of the two roles. */
  async add(orgId: string, userId: string, role: Role, m: Pick<DataSource, 'query'> = this.ds): Promise<void> {
    await m.query(
      `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, user_id) DO UPDATE SET role = CASE WHEN org_members.role = 'owner' OR (org_members.role = 'admin' AND EXCLUDED.role = 'member') THEN org_members.role ELSE EXCLUDED.role END`,
      [orgId, userId, role],
    );
  }

  /**
   * The org's dashboard key: what people do through the dashboard is attributed to it (holds, usage by
   * key, rate limits), made on first use. Its secret is thrown away at once: no request can present it.
   */
  async dashboardKeyOf(orgId: string): Promise<string> {
    const cached = this.dashboardKeys.get(orgId);
    if (cached) return cached;
    const secret = newKeySecret();
    await this.ds.query(
      `INSERT INTO api_keys (id, org_id, name, kind, prefix, secret_hash) VALUES ($1, $2, 'Dashboard', 'dashboard', $3, $4) ON CONFLICT DO NOTHING`,
      [newKeyId(), orgId, keyPrefixOf(secret), hashSecret(secret)],
    );
    const [row] = await this.ds.query(`SELECT id FROM api_keys WHERE org_id = $1 AND kind = 'dashboard'`, [orgId]);
    this.dashboardKeys.set(orgId, row.id);
    return row.id;
  }

  private async lockedMember(m: Pick<DataSource, 'query'>, orgId: string, userId: string): Promise<{ role: Role }> {
    // The org's member rows are locked together so two concurrent demotions cannot leave it ownerless.
    await m.query(`SELECT 1 FROM org_members WHERE org_id = $1 FOR UPDATE`, [orgId]);
    const [row] = typeof userId === 'string' && /^usr_[A-Za-z0-9]{1,64}$/.test(userId) ? await m.query(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [orgId, userId]) : [];
    if (!row) throw notFoundError(`Member ${String(userId).slice(0, 80)} not found in this organization`);
    return row;
  }

  private async keepAnOwner(m: Pick<DataSource, 'query'>, orgId: string): Promise<void> {
    const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND role = 'owner'`, [orgId]);
    if (n <= 1) throw new ApiError(ErrorCode.CONFLICT, 'An organization needs an owner: make someone else an owner first.');
  }
}
