import type { DataSource } from 'typeorm';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError, forbidden, notFoundError } from '../errors/api-error';
import { randomBase62 } from '../orgs/ids';
import type { AccountsMetrics } from './accounts-metrics';
import { escapeHtml, Mailer } from './mailer';
import type { Memberships } from './memberships';
import { hasRole, Role } from './roles';
import { newSecretToken, sha256, TOKEN_PATTERN } from './tokens';

export interface InviteView {
  id: string;
  object: 'org_invite';
  org_id: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'expired';
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
}

const unix = (d: Date | string | null) => (d ? Math.floor(new Date(d).getTime() / 1000) : null);

function inviteView(r: any): InviteView {
  const status = r.accepted_at ? 'accepted' : new Date(r.expires_at).getTime() <= Date.now() ? 'expired' : 'pending';
  return { id: r.id, object: 'org_invite', org_id: r.org_id, email: r.email, role: r.role, status, created_at: unix(r.created_at)!, expires_at: unix(r.expires_at)!, accepted_at: unix(r.accepted_at) };
}

/**
 * Invitations by email: a single-use link (token stored hashed) that the invited address accepts while
 * signed in *as that address* — a forwarded or leaked link does not let someone else in.
 */
export class Invites {
  constructor(
    private readonly ds: DataSource,
    private readonly members: Memberships,
    private readonly mailer: Mailer,
    private readonly metrics: AccountsMetrics,
    private readonly o: { ttlSeconds: number; publicUrl: () => string },
  ) {}

  async create(actorId: string, orgId: string, email: string, role: Role): Promise<InviteView> {
    const actorRole = await this.members.requireRole(actorId, orgId, 'admin');
    if (role === 'owner' && actorRole !== 'owner') throw forbidden('Only an owner invites owners.');
    if (!this.mailer.configured) throw new ApiError(ErrorCode.SERVICE_UNAVAILABLE, 'Mail is not configured (PIPEVIDEO_SMTP_URL): invitations cannot be sent.');
    const token = newSecretToken();
    const [row] = await this.ds.query(
      `INSERT INTO org_invites (id, org_id, email, role, token_hash, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7)) RETURNING *`,
      [`inv_${randomBase62(20)}`, orgId, email, role, sha256(token), actorId, this.o.ttlSeconds],
    );
    const [org] = await this.ds.query(`SELECT name FROM organizations WHERE id = $1`, [orgId]);
    const [inviter] = await this.ds.query(`SELECT email FROM users WHERE id = $1`, [actorId]);
    const link = `${this.o.publicUrl()}/invites/${token}`;
    await this.mailer.send('invite', {
      to: email,
      subject: `You are invited to ${org.name} on Pipevideo`,
      text: `${inviter.email} invited you to join the organization "${org.name}" on Pipevideo as ${role}.\n\nAccept: ${link}\n\nThe link works for ${Math.round(this.o.ttlSeconds / 86400)} days, for ${email} only.`,
      html: `<p>${escapeHtml(inviter.email)} invited you to join the organization <b>${escapeHtml(org.name)}</b> on Pipevideo as ${role}.</p><p><a href="${escapeHtml(link)}">Accept the invitation</a></p><p>The link works for ${escapeHtml(email)} only.</p>`,
    });
    this.metrics.invites.inc({ event: 'created' });
    return inviteView(row);
  }

  async list(actorId: string, orgId: string): Promise<InviteView[]> {
    await this.members.requireRole(actorId, orgId, 'admin');
    const rows = await this.ds.query(`SELECT * FROM org_invites WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 200`, [orgId]);
    return rows.map(inviteView);
  }

  async revoke(actorId: string, orgId: string, inviteId: string): Promise<InviteView> {
    await this.members.requireRole(actorId, orgId, 'admin');
    const [row] = /^inv_[A-Za-z0-9]{1,64}$/.test(inviteId) ? await this.ds.query(`DELETE FROM org_invites WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL RETURNING *`, [inviteId, orgId]) : [[]];
    const deleted = Array.isArray(row) ? row[0] : row;
    if (!deleted) throw notFoundError(`Pending invitation ${inviteId.slice(0, 80)} not found`);
    return inviteView(deleted);
  }

  /** What an invitation link offers (the org's name and the role), to the address it was sent to. */
  async preview(token: string, user: { id: string; email: string }): Promise<{ object: 'org_invite_preview'; org_id: string; org_name: string; email: string; role: Role; expires_at: number }> {
    const r = await this.pending(token, user.email);
    return { object: 'org_invite_preview', org_id: r.org_id, org_name: r.org_name, email: r.email, role: r.role, expires_at: unix(r.expires_at)! };
  }

  async accept(token: string, user: { id: string; email: string }): Promise<{ object: 'organization'; id: string; name: string; role: Role; created_at: number }> {
    return this.ds.transaction(async (m) => {
      const r = await this.pending(token, user.email, m, true);
      await this.members.add(r.org_id, user.id, r.role, m);
      await m.query(`UPDATE org_invites SET accepted_at = now(), accepted_by = $2 WHERE id = $1`, [r.id, user.id]);
      const [mine] = await m.query(`SELECT o.id, o.name, o.created_at, om.role FROM org_members om JOIN organizations o ON o.id = om.org_id WHERE om.org_id = $1 AND om.user_id = $2`, [r.org_id, user.id]);
      this.metrics.invites.inc({ event: 'accepted' });
      return { object: 'organization' as const, id: mine.id, name: mine.name, role: mine.role, created_at: unix(mine.created_at)! };
    });
  }

  private async pending(token: string, email: string, m: Pick<DataSource, 'query'> = this.ds, lock = false): Promise<any> {
    const [r] = TOKEN_PATTERN.test(token)
      ? await m.query(
          `SELECT i.*, o.name AS org_name FROM org_invites i JOIN organizations o ON o.id = i.org_id
            WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now() ${lock ? 'FOR UPDATE OF i' : ''}`,
          [sha256(token)],
        )
      : [];
    if (!r) {
      this.metrics.invites.inc({ event: 'refused' });
      throw notFoundError('This invitation is not valid: it was used, revoked or has expired. Ask for a new one.');
    }
    if (r.email !== email) {
      this.metrics.invites.inc({ event: 'refused' });
      throw forbidden(`This invitation is for another email address. Sign in as the address it was sent to.`);
    }
    if (!hasRole(r.role, 'member')) throw notFoundError('This invitation is not valid.');
    return r;
  }
}
