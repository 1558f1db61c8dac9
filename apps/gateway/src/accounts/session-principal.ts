import type { DataSource } from 'typeorm';
import { ErrorCode } from '@pipevideo/contracts';
import { effectiveLimit, type Principal } from '../auth/key-authenticator';
import { ApiError, forbidden, unauthorized } from '../errors/api-error';
import { ID_PATTERNS } from '../orgs/ids';
import type { Accounts } from './accounts';
import { hasRole, Role } from './roles';
import type { Session } from './session-store';
import { sameSecret } from './tokens';

export const ORG_HEADER = 'x-pipevideo-org';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Headers = Record<string, string | string[] | undefined>;

export interface PrincipalDefaults {
  defaultRateLimitPerMinute: number;
  defaultOrgRateLimitPerMinute: number;
  defaultMaxConcurrentGenerations: number;
}

/**
 * Cookie authentication of the public API: the session, its CSRF token on every state-changing call
 * (`X-CSRF-Token`, the value `GET /auth/session` gives: a per-session secret a cross-site page cannot
 * read), and for org-scoped routes the org named by `X-Pipevideo-Org`, which the person must belong to
 * (403 otherwise) with the role the route needs. The result is a Principal like an API key's, on the
 * org's dashboard key, so everything downstream (holds, usage, limits, idempotency) works unchanged.
 */
export class SessionPrincipals {
  constructor(
    private readonly ds: DataSource,
    private readonly accounts: Accounts,
    private readonly defaults: PrincipalDefaults,
  ) {}

  /** The signed-in person of a cookie call; CSRF-checked unless the method is safe. */
  async session(method: string, headers: Headers): Promise<{ session: Session; sessionId: string }> {
    const id = this.accounts.cookies.read(headers);
    const session = await this.accounts.sessions.get(id);
    if (!session || !id) {
      this.accounts.metrics.sessionRefusals.inc({ reason: 'no_session' });
      throw unauthorized('Not signed in, or the session ended. Sign in again (POST /auth/email/start or GET /auth/oidc/start).');
    }
    if (!SAFE_METHODS.has(method.toUpperCase())) {
      const sent = headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
        this.accounts.metrics.sessionRefusals.inc({ reason: 'csrf' });
        throw forbidden("Missing or wrong CSRF token. Send the csrf_token of GET /auth/session in the 'X-CSRF-Token' header.");
      }
    }
    return { session, sessionId: id };
  }

  /** An org-scoped call: the principal of the org named by X-Pipevideo-Org, if the person's role suffices. */
  async principal(method: string, headers: Headers, needed: Role): Promise<Principal> {
    const { session } = await this.session(method, headers);
    const orgId = headers[ORG_HEADER];
    if (typeof orgId !== 'string' || !orgId) {
      this.accounts.metrics.sessionRefusals.inc({ reason: 'no_org' });
      throw new ApiError(ErrorCode.BAD_REQUEST, "Name the organization: send its id in the 'X-Pipevideo-Org' header (GET /auth/session lists yours).");
    }
    const [row] = ID_PATTERNS.org.test(orgId)
      ? await this.ds.query(
          `SELECT m.role, o.rate_limit_per_minute, o.org_rate_limit_per_minute, o.max_concurrent_generations, o.status, o.suspended_reason
             FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 AND m.org_id = $2`,
          [session.userId, orgId],
        )
      : [];
    if (!row) {
      this.accounts.metrics.sessionRefusals.inc({ reason: 'not_member' });
      throw forbidden('You are not a member of the organization named in X-Pipevideo-Org.');
    }
    if (row.status === 'suspended') throw forbidden(`This organization is suspended${row.suspended_reason ? ` (${row.suspended_reason})` : ''}. Contact support.`);
    if (!hasRole(row.role, needed)) {
      this.accounts.metrics.sessionRefusals.inc({ reason: 'role' });
      throw forbidden(`This needs the ${needed} role in this organization; you are ${row.role === 'admin' ? 'an admin' : `a ${row.role}`}. Ask an owner.`);
    }
    return {
      keyId: await this.accounts.members.dashboardKeyOf(orgId),
      orgId,
      kind: 'standard',
      rateLimitPerMinute: effectiveLimit(null, row.rate_limit_per_minute ?? this.defaults.defaultRateLimitPerMinute),
      orgRateLimitPerMinute: row.org_rate_limit_per_minute ?? this.defaults.defaultOrgRateLimitPerMinute,
      maxConcurrentGenerations: row.max_concurrent_generations ?? this.defaults.defaultMaxConcurrentGenerations,
      user: { id: session.userId, role: row.role },
    };
  }
}
