import type { DataSource } from 'typeorm';
import { ErrorCode, type KeyLimitReset } from '@pipevideo/contracts';
import { ApiError, notFoundError } from '../http/api-error';
import { hashSecret, ID_PATTERNS, keyPrefixOf, newKeyId, newKeySecret, newOrgId } from './ids';

export type ApiKeyKind = 'standard' | 'management';
export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

export interface Organization {
  id: string;
  object: 'organization';
  name: string;
  rate_limit_per_minute: number | null;
  created_at: number;
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

/** TypeORM answers an UPDATE … RETURNING with `[rows, affected]`, an INSERT or SELECT with the rows. */
function rowsOf(result: unknown): any[] {
  return Array.isArray(result) && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : (result as any[]);
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

function orgView(r: { id: string; name: string; rate_limit_per_minute: number | null; created_at: Date }): Organization {
  return { id: r.id, object: 'organization', name: r.name, rate_limit_per_minute: r.rate_limit_per_minute, created_at: unix(r.created_at)! };
}

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !name.trim()) throw new ApiError(ErrorCode.BAD_REQUEST, `${what} name must be a non-empty string`, { details: [{ field: 'name', message: 'name must be a non-empty string' }] });
  if (name.length > MAX_NAME_LENGTH) throw new ApiError(ErrorCode.BAD_REQUEST, `${what} name must be at most ${MAX_NAME_LENGTH} characters`, { details: [{ field: 'name', message: `name must be at most ${MAX_NAME_LENGTH} characters` }] });
  return name.trim();
}

/** Columns of a limit setting: a reset period needs a limit; a limit without one never resets. */
function limitColumns(l: KeyLimitSetting | undefined): { cents: number | null; reset: KeyLimitReset | null } {
  if (!l || l.limitCents === null) {
    if (l?.reset && l.reset !== 'none') throw new ApiError(ErrorCode.BAD_REQUEST, 'limit_reset needs limit_cents: set the limit it resets', { details: [{ field: 'limit_reset', message: 'limit_reset needs limit_cents' }] });
    return { cents: null, reset: null };
  }
  return { cents: l.limitCents, reset: l.reset ?? 'none' };
}

/**
 * Organizations and their API keys (tables of the gateway's schema). Framework-free: the operator
 * API, the key-management API and the embedded launcher all go through it.
 */
export class OrgService {
  constructor(private readonly ds: DataSource) {}

  async createOrg(name: string, opts: { rateLimitPerMinute?: number | null } = {}): Promise<Organization> {
    const [row] = await this.ds.query(`INSERT INTO organizations (id, name, rate_limit_per_minute) VALUES ($1, $2, $3) RETURNING *`, [
      newOrgId(),
      checkName(name, 'Organization'),
      opts.rateLimitPerMinute ?? null,
    ]);
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

  async setOrgRateLimit(orgId: string, perMinute: number | null): Promise<Organization> {
    await this.requireOrg(orgId);
    const [row] = rowsOf(await this.ds.query(`UPDATE organizations SET rate_limit_per_minute = $2 WHERE id = $1 RETURNING *`, [orgId, perMinute]));
    return orgView(row);
  }

  /** Creates a key; the secret is in the answer and nowhere else. */
  async issueApiKey(
    orgId: string, name: string, kind: ApiKeyKind = 'standard', opts: { rateLimitPerMinute?: number | null; rotatedFrom?: string; limit?: KeyLimitSetting } = {},
  ): Promise<IssuedApiKey> {
    await this.requireOrg(orgId);
    if (kind !== 'standard' && kind !== 'management') throw new ApiError(ErrorCode.BAD_REQUEST, "kind must be 'standard' or 'management'");
    const secret = newKeySecret();
    const limit = limitColumns(opts.limit);
    const [row] = await this.ds.query(
      `INSERT INTO api_keys (id, org_id, name, kind, prefix, secret_hash, rate_limit_per_minute, rotated_from, limit_cents, limit_reset)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [newKeyId(), orgId, checkName(name, 'Key'), kind, keyPrefixOf(secret), hashSecret(secret), opts.rateLimitPerMinute ?? null, opts.rotatedFrom ?? null, limit.cents, limit.reset],
    );
    return { ...keyView(row), key: secret };
  }

  async listKeys(orgId: string): Promise<ApiKeyView[]> {
    const rows: KeyRow[] = await this.ds.query(`SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id`, [orgId]);
    return rows.map((r) => keyView(r));
  }

  private async keyOf(orgId: string, keyId: string): Promise<KeyRow> {
    const [row] = ID_PATTERNS.key.test(keyId) ? await this.ds.query(`SELECT * FROM api_keys WHERE id = $1 AND org_id = $2`, [keyId, orgId]) : [];
    if (!row) throw notFoundError(`API key ${keyId} not found`);
    return row;
  }

  /**
   * Sets or removes (limitCents null) a key's spend limit. Takes effect for creates within the auth
   * cache's half second; what the key already spent in the current window keeps counting.
   */
  async setKeyLimit(orgId: string, keyId: string, limit: KeyLimitSetting): Promise<ApiKeyView> {
    await this.keyOf(orgId, keyId);
    const c = limitColumns(limit);
    const [row] = rowsOf(await this.ds.query(`UPDATE api_keys SET limit_cents = $3, limit_reset = $4 WHERE id = $1 AND org_id = $2 RETURNING *`, [keyId, orgId, c.cents, c.reset]));
    return keyView(row);
  }

  /** Revokes at once (idempotent). Every replica stops accepting it within the auth cache TTL. */
  async revokeKey(orgId: string, keyId: string): Promise<ApiKeyView> {
    await this.keyOf(orgId, keyId);
    const [row] = rowsOf(
      await this.ds.query(`UPDATE api_keys SET status = 'revoked', revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_id = $2 RETURNING *`, [keyId, orgId]),
    );
    return keyView(row);
  }

  /**
   * Issues a replacement (same name, kind, rate limit and spend limit — its spend counts from zero:
   * it is a new key) and retires the old key: at once when the grace
   * period is 0, else it keeps working until `expires_at`. A revoked or expired key cannot be rotated.
   */
  async rotateKey(orgId: string, keyId: string, gracePeriodSeconds = 0): Promise<IssuedApiKey & { rotated_from: string; previous_key_expires_at: number }> {
    return this.ds.transaction(async (m) => {
      const [old] = await m.query(`SELECT *, now() AS now FROM api_keys WHERE id = $1 AND org_id = $2 FOR UPDATE`, [keyId, orgId]);
      if (!ID_PATTERNS.key.test(keyId) || !old) throw notFoundError(`API key ${keyId} not found`);
      const view = keyView(old, new Date(old.now));
      if (view.status !== 'active') throw new ApiError(ErrorCode.CONFLICT, `API key ${keyId} is ${view.status} and cannot be rotated. Create a new key instead.`);
      const [retired] = rowsOf(await m.query(
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
