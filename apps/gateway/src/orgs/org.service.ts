import type { DataSource } from 'typeorm';
import { ErrorCode, type KeyLimitReset } from '@pipevideo/contracts';
import { rows } from '@pipevideo/platform';
import { ApiError, notFoundError } from '../http/api-error';
import { hashSecret, ID_PATTERNS, keyPrefixOf, newKeyId, newKeySecret, newOrgId } from './ids';

/** `dashboard`: the one key per org that dashboard (session) calls are attributed to; nobody knows its secret. */
export type ApiKeyKind = 'standard' | 'management' | 'dashboard';
export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

export type OrgStatus = 'active' | 'suspended';

export interface Organization {
  id: string;
  object: 'organization';
  name: string;
  /** Ceiling of each key's requests per minute (null: the gateway default). */
  rate_limit_per_minute: number | null;
  /** Requests per minute of the whole org, summed over its keys (null: the gateway default). */
  org_rate_limit_per_minute: number | null;
  /** Live keys the org may hold (null: the gateway default). */
  max_keys: number | null;
  /** Generations (both APIs) pending or processing at once (null: the gateway default). */
  max_concurrent_generations: number | null;
  status: OrgStatus;
  suspended_reason: string | null;
  suspended_at: number | null;
  created_at: number;
}

/** The operator-set limits of an org; null restores the gateway default. */
export interface OrgLimits {
  rateLimitPerMinute?: number | null;
  orgRateLimitPerMinute?: number | null;
  maxKeys?: number | null;
  maxConcurrentGenerations?: number | null;
}

const LIMIT_COLUMNS: Record<keyof OrgLimits, string> = {
  rateLimitPerMinute: 'rate_limit_per_minute',
  orgRateLimitPerMinute: 'org_rate_limit_per_minute',
  maxKeys: 'max_keys',
  maxConcurrentGenerations: 'max_concurrent_generations',
};

export interface OrgServiceOptions {
  /** Live keys per org unless the operator set the org's `max_keys`. */
  defaultMaxKeys: number;
}

/** A key as lists show it: never the secret, never its hash. */
export interface ApiKeyView {
  id: string;
  object: 'api_key';
  org_id: string;
  name: string;
  kind: ApiKeyKind;
  prefix: string;
  status: ApiKeyStatus;
  rate_limit_per_minute: number | null;
  /** Cents the key may spend per limit_reset period; null = no limit. */
  limit_cents: number | null;
  /** `daily`, `weekly`, `monthly` (UTC calendar periods) or `none` (the key's whole life); null without a limit. */
  limit_reset: KeyLimitReset | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

/** A key's spend limit as set through the keys or operator API. */
export interface KeyLimitSetting {
  limitCents: number | null;
  reset?: KeyLimitReset | null;
}

/** The answer of create/rotate: the only time the secret is ever shown. */
export interface IssuedApiKey extends ApiKeyView {
  key: string;
}

interface KeyRow {
  id: string;
  org_id: string;
  name: string;
  kind: ApiKeyKind;
  prefix: string;
  status: ApiKeyStatus;
  rate_limit_per_minute: number | null;
  limit_cents: string | number | null;
  limit_reset: KeyLimitReset | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  now?: Date;
}

const unix = (d: Date | string | null) => (d ? Math.floor(new Date(d).getTime() / 1000) : null);
export const MAX_NAME_LENGTH = 200;

function keyView(r: KeyRow, now = new Date()): ApiKeyView {
  const expired = r.status === 'active' && r.expires_at !== null && new Date(r.expires_at).getTime() <= now.getTime();
  return {
    id: r.id,
    object: 'api_key',
    org_id: r.org_id,
    name: r.name,
    kind: r.kind,
    prefix: r.prefix,
    status: expired ? 'expired' : r.status,
    rate_limit_per_minute: r.rate_limit_per_minute,
    limit_cents: r.limit_cents === null || r.limit_cents === undefined ? null : Number(r.limit_cents),
    limit_reset: r.limit_cents === null || r.limit_cents === undefined ? null : r.limit_reset ?? 'none',
    created_at: unix(r.created_at)!,
    last_used_at: unix(r.last_used_at),
    expires_at: unix(r.expires_at),
  };
}

/** Columns of a limit setting: a reset period needs a limit; a limit without one never resets. */
function limitColumns(l: KeyLimitSetting | undefined): { cents: number | null; reset: KeyLimitReset | null } {
  if (!l || l.limitCents === null) {
    if (l?.reset && l.reset !== 'none') throw new ApiError(ErrorCode.BAD_REQUEST, 'limit_reset needs limit_cents: set the limit it resets', { details: [{ field: 'limit_reset', message: 'limit_reset needs limit_cents' }] });
    return { cents: null, reset: null };
  }
  return { cents: l.limitCents, reset: l.reset ?? 'none' };
}

function orgView(r: any): Organization {
  return {
    id: r.id,
    object: 'organization',
    name: r.name,
    rate_limit_per_minute: r.rate_limit_per_minute,
    org_rate_limit_per_minute: r.org_rate_limit_per_minute,
    max_keys: r.max_keys,
    max_concurrent_generations: r.max_concurrent_generations,
    status: r.status,
    suspended_reason: r.suspended_reason,
    suspended_at: unix(r.suspended_at),
    created_at: unix(r.created_at)!,
  };
}

/**
 * Keys that count against the org's cap: active and not retired by a rotation (a key in its grace period
 * has `expires_at` set and its successor is counted instead, so rotating never needs a free slot).
 */
const LIVE_KEY = `status = 'active' AND expires_at IS NULL AND kind <> 'dashboard'`;

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !name.trim()) throw new ApiError(ErrorCode.BAD_REQUEST, `${what} name must be a non-empty string`, { details: [{ field: 'name', message: 'name must be a non-empty string' }] });
  if (name.length > MAX_NAME_LENGTH) throw new ApiError(ErrorCode.BAD_REQUEST, `${what} name must be at most ${MAX_NAME_LENGTH} characters`, { details: [{ field: 'name', message: `name must be at most ${MAX_NAME_LENGTH} characters` }] });
  return name.trim();
}

/**
 * Organizations and their API keys (tables of the gateway's schema). Framework-free: the operator
 * API, the key-management API and the embedded launcher all go through it.
 */
export class OrgService {
  constructor(
    private readonly ds: DataSource,
    private readonly o: OrgServiceOptions = { defaultMaxKeys: 50 },
  ) {}

  async createOrg(name: string, limits: OrgLimits = {}, m: Pick<DataSource, 'query'> = this.ds): Promise<Organization> {
    const [row] = await m.query(
      `INSERT INTO organizations (id, name, rate_limit_per_minute, org_rate_limit_per_minute, max_keys, max_concurrent_generations)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [newOrgId(), checkName(name, 'Organization'), limits.rateLimitPerMinute ?? null, limits.orgRateLimitPerMinute ?? null, limits.maxKeys ?? null, limits.maxConcurrentGenerations ?? null],
    );
    return orgView(row);
  }

  async getOrg(orgId: string): Promise<Organization | null> {
    if (!ID_PATTERNS.org.test(orgId)) return null;
    const [row] = await this.ds.query(`SELECT * FROM organizations WHERE id = $1`, [orgId]);
    return row ? orgView(row) : null;
  }

  async requireOrg(orgId: string): Promise<Organization> {
    const org = await this.getOrg(orgId);
    if (!org) throw notFoundError(`Organization ${orgId} not found`);
    return org;
  }

  /** Changes the limits named in `limits` (a null value restores the default); the others stay. */
  async updateOrgLimits(orgId: string, limits: OrgLimits): Promise<Organization> {
    await this.requireOrg(orgId);
    const entries = (Object.keys(LIMIT_COLUMNS) as (keyof OrgLimits)[]).filter((k) => limits[k] !== undefined);
    if (!entries.length) return this.requireOrg(orgId);
    const sets = entries.map((k, i) => `${LIMIT_COLUMNS[k]} = $${i + 2}`).join(', ');
    const [row] = (await rows(this.ds, `UPDATE organizations SET ${sets} WHERE id = $1 RETURNING *`, [orgId, ...entries.map((k) => limits[k])]));
    return orgView(row);
  }

  /**
   * Suspends an org: its keys answer 403 on every replica within the key cache TTL. Generations already
   * accepted run to their end (billed and notified as usual): they were paid for by a hold when accepted,
   * and stopping them half-way would leave provider jobs running that nobody collects.
   */
  async suspendOrg(orgId: string, reason: string): Promise<Organization> {
    await this.requireOrg(orgId);
    const [row] = (await rows(this.ds,
        `UPDATE organizations SET status = 'suspended', suspended_reason = $2, suspended_at = coalesce(suspended_at, now()) WHERE id = $1 RETURNING *`,
        [orgId, reason],
      ));
    return orgView(row);
  }

  async resumeOrg(orgId: string): Promise<Organization> {
    await this.requireOrg(orgId);
    const [row] = (await rows(this.ds, `UPDATE organizations SET status = 'active', suspended_reason = NULL, suspended_at = NULL WHERE id = $1 RETURNING *`, [orgId]));
    return orgView(row);
  }

  /**
   * Creates a key; the secret is in the answer and nowhere else. At most the org's `max_keys` live keys:
   * the org row is locked while counting, so concurrent creates cannot pass the cap together.
   */
  async issueApiKey(orgId: string, name: string, kind: ApiKeyKind = 'standard', opts: { rateLimitPerMinute?: number | null; limit?: KeyLimitSetting } = {}): Promise<IssuedApiKey> {
    if (kind !== 'standard' && kind !== 'management') throw new ApiError(ErrorCode.BAD_REQUEST, "kind must be 'standard' or 'management'");
    const keyName = checkName(name, 'Key');
    const limit = limitColumns(opts.limit);
    if (!ID_PATTERNS.org.test(orgId)) throw notFoundError(`Organization ${orgId} not found`);
    return this.ds.transaction(async (m) => {
      const [org] = await m.query(`SELECT id, max_keys FROM organizations WHERE id = $1 FOR UPDATE`, [orgId]);
      if (!org) throw notFoundError(`Organization ${orgId} not found`);
      const cap: number = org.max_keys ?? this.o.defaultMaxKeys;
      const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND ${LIVE_KEY}`, [orgId]);
      if (n >= cap) {
        throw new ApiError(ErrorCode.CONFLICT, `This organization already has ${n} active API keys, its limit is ${cap}. Revoke a key you no longer use (DELETE /v1/keys/{id}), then create the new one.`);
      }
      const secret = newKeySecret();
      const [row] = await m.query(
        `INSERT INTO api_keys (id, org_id, name, kind, prefix, secret_hash, rate_limit_per_minute, limit_cents, limit_reset) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [newKeyId(), orgId, keyName, kind, keyPrefixOf(secret), hashSecret(secret), opts.rateLimitPerMinute ?? null, limit.cents, limit.reset],
      );
      return { ...keyView(row), key: secret };
    });
  }

  async listKeys(orgId: string): Promise<ApiKeyView[]> {
    // The dashboard key is internal (no secret anyone holds): not listed, not manageable.
    const rows: KeyRow[] = await this.ds.query(`SELECT * FROM api_keys WHERE org_id = $1 AND kind <> 'dashboard' ORDER BY created_at DESC, id`, [orgId]);
    return rows.map((r) => keyView(r));
  }

  private async keyOf(orgId: string, keyId: string): Promise<KeyRow> {
    const [row] = ID_PATTERNS.key.test(keyId) ? await this.ds.query(`SELECT * FROM api_keys WHERE id = $1 AND org_id = $2 AND kind <> 'dashboard'`, [keyId, orgId]) : [];
    if (!row) throw notFoundError(`API key ${keyId} not found`);
    return row;
  }

  /** The operator's revoke: any key by id, whatever its org. */
  async revokeAnyKey(keyId: string): Promise<ApiKeyView> {
    const [row] = ID_PATTERNS.key.test(keyId) ? await this.ds.query(`SELECT org_id FROM api_keys WHERE id = $1 AND kind <> 'dashboard'`, [keyId]) : [];
    if (!row) throw notFoundError(`API key ${keyId} not found`);
    return this.revokeKey(row.org_id, keyId);
  }

  /** Revokes at once (idempotent). Every replica stops accepting it within the auth cache TTL. */
  /**
   * Sets or removes (limitCents null) a key's spend limit. Takes effect for creates within the auth
   * cache's half second; what the key already spent in the current window keeps counting.
   */
  async setKeyLimit(orgId: string, keyId: string, limit: KeyLimitSetting): Promise<ApiKeyView> {
    await this.keyOf(orgId, keyId);
    const c = limitColumns(limit);
    const [row] = (await rows(this.ds, `UPDATE api_keys SET limit_cents = $3, limit_reset = $4 WHERE id = $1 AND org_id = $2 RETURNING *`, [keyId, orgId, c.cents, c.reset]));
    return keyView(row);
  }

  async revokeKey(orgId: string, keyId: string): Promise<ApiKeyView> {
    await this.keyOf(orgId, keyId);
    const [row] = (await rows(this.ds, `UPDATE api_keys SET status = 'revoked', revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_id = $2 RETURNING *`, [keyId, orgId]));
    return keyView(row);
  }

  /**
   * Issues a replacement (same name, kind, rate limit and spend limit — its spend counts from zero: it
   * is a new key) and retires the old key: at once when the grace
   * period is 0, else it keeps working until `expires_at`. A revoked or expired key cannot be rotated.
   */
  async rotateKey(orgId: string, keyId: string, gracePeriodSeconds = 0): Promise<IssuedApiKey & { rotated_from: string; previous_key_expires_at: number }> {
    return this.ds.transaction(async (m) => {
      const [old] = await m.query(`SELECT *, now() AS now FROM api_keys WHERE id = $1 AND org_id = $2 AND kind <> 'dashboard' FOR UPDATE`, [keyId, orgId]);
      if (!ID_PATTERNS.key.test(keyId) || !old) throw notFoundError(`API key ${keyId} not found`);
      const view = keyView(old, new Date(old.now));
      if (view.status !== 'active') throw new ApiError(ErrorCode.CONFLICT, `API key ${keyId} is ${view.status} and cannot be rotated. Create a new key instead.`);
      // One live successor per key: a key in its grace period was rotated already (the row lock above
      // makes concurrent rotations of one key wait for each other and see this).
      const [successor] = await m.query(`SELECT id FROM api_keys WHERE rotated_from = $1 LIMIT 1`, [keyId]);
      if (successor) {
        throw new ApiError(ErrorCode.CONFLICT, `API key ${keyId} was already rotated into ${successor.id}; it stays valid until its grace period ends. Rotate ${successor.id} instead.`);
      }
      const [retired] = (await rows(m,
        `UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < now() + make_interval(secs => $2) THEN expires_at ELSE now() + make_interval(secs => $2) END,
                             status = CASE WHEN $2 = 0 THEN 'expired' ELSE status END
           WHERE id = $1 RETURNING expires_at`,
        [keyId, gracePeriodSeconds],
      ));
      const secret = newKeySecret();
      const [row] = await m.query(
        `INSERT INTO api_keys (id, org_id, name, kind, prefix, secret_hash, rate_limit_per_minute, rotated_from, limit_cents, limit_reset)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [newKeyId(), orgId, old.name, old.kind, keyPrefixOf(secret), hashSecret(secret), old.rate_limit_per_minute, keyId, old.limit_cents, old.limit_reset],
      );
      return { ...keyView(row), key: secret, rotated_from: keyId, previous_key_expires_at: unix(retired.expires_at)! };
    });
  }
}
