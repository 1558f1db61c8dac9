import type { DataSource } from 'typeorm';
import type { KeyLimit, KeyLimitReset } from '@pipevideo/contracts';
import { hashSecret, KEY_SECRET_PATTERN } from '../orgs/ids';
import type { ApiKeyKind } from '../orgs/org.service';
import type { Role } from '../accounts/roles';

/** Who is calling, once the key checked out. */
export interface Principal {
  keyId: string;
  orgId: string;
  kind: ApiKeyKind;
  /** Effective limit: key's own, else the org's, else the gateway default. */
  rateLimitPerMinute: number;
  /** Requests per minute of the whole org, summed over its keys. */
  orgRateLimitPerMinute: number;
  /** Generations the org may have pending or processing at once. */
  maxConcurrentGenerations: number;
  /** The key's spend limit (billing enforces it on every hold of the creates it makes). */
  spendLimit?: KeyLimit;
  /** Set when a person calls through the dashboard (session cookie + X-Pipevideo-Org): who, and their role in the org. */
  user?: { id: string; role: Role };
}

export type AuthFailure = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'suspended';
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailure; detail?: string };

interface CachedLookup {
  at: number;
  row: {
    id: string;
    org_id: string;
    kind: ApiKeyKind;
    status: string;
    expires_at: Date | null;
    key_limit: number | null;
    org_limit: number | null;
    org_total_limit: number | null;
    org_max_concurrent: number | null;
    org_status: string;
    suspended_reason: string | null;
    limit_cents: string | null;
    limit_reset: KeyLimitReset | null;
  } | null;
}

export interface KeyAuthenticatorOptions {
  defaultRateLimitPerMinute: number;
  /** Requests per minute per org (sum over its keys) unless the operator set the org's. */
  defaultOrgRateLimitPerMinute: number;
  /** Generations in flight per org unless the operator set the org's. */
  defaultMaxConcurrentGenerations: number;
  /**
   * How long a lookup (hit or miss) is reused by this replica. Revocation is decided in the
   * database, so a revoked key fails on every replica at most this long after the UPDATE commits.
   */
  cacheTtlMs?: number;
  /** `last_used_at` is written at most this often per key. */
  touchIntervalMs?: number;
  maxCacheEntries?: number;
  now?: () => number;
}

/**
 * Bearer-key authentication: shape check, SHA-256 of the secret, one indexed lookup (cached for
 * ~500 ms per replica), status and expiry checks against the clock, and a throttled last_used_at.
 */
export class KeyAuthenticator {
  private readonly cache = new Map<string, CachedLookup>();
  private readonly touched = new Map<string, number>();
  private readonly ttl: number;
  private readonly touchEvery: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly ds: DataSource,
    private readonly o: KeyAuthenticatorOptions,
  ) {
    this.ttl = o.cacheTtlMs ?? 500;
    this.touchEvery = o.touchIntervalMs ?? 30_000;
    this.maxEntries = o.maxCacheEntries ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** `authorization` header value → principal or the reason it was refused. */
  async authenticate(authorization: string | string[] | undefined): Promise<AuthResult> {
    if (authorization === undefined || authorization === '') return { ok: false, reason: 'missing' };
    if (Array.isArray(authorization)) return { ok: false, reason: 'malformed' };
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m) return { ok: false, reason: 'malformed' };
    const secret = m[1];
    if (!KEY_SECRET_PATTERN.test(secret)) return { ok: false, reason: 'malformed' };
    const row = await this.lookup(hashSecret(secret));
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.status === 'revoked') return { ok: false, reason: 'revoked' };
    if (row.status === 'expired' || (row.expires_at && new Date(row.expires_at).getTime() <= this.now())) return { ok: false, reason: 'expired' };
    if (row.org_status === 'suspended') return { ok: false, reason: 'suspended', detail: row.suspended_reason ?? undefined };
    this.touch(row.id);
    return {
      ok: true,
      principal: {
        keyId: row.id,
        orgId: row.org_id,
        kind: row.kind,
        rateLimitPerMinute: effectiveLimit(row.key_limit, row.org_limit ?? this.o.defaultRateLimitPerMinute),
        orgRateLimitPerMinute: row.org_total_limit ?? this.o.defaultOrgRateLimitPerMinute,
        maxConcurrentGenerations: row.org_max_concurrent ?? this.o.defaultMaxConcurrentGenerations,
        ...(row.limit_cents !== null && row.limit_cents !== undefined ? { spendLimit: { limitCents: Number(row.limit_cents), reset: row.limit_reset ?? 'none' } } : {}),
      },
    };
  }

  private async lookup(hash: string): Promise<CachedLookup['row']> {
    const t = this.now();
    const hit = this.cache.get(hash);
    if (hit && t - hit.at < this.ttl) return hit.row;
    const [row] = await this.ds.query(
      `SELECT k.id, k.org_id, k.kind, k.status, k.expires_at, k.rate_limit_per_minute AS key_limit, o.rate_limit_per_minute AS org_limit,
              o.org_rate_limit_per_minute AS org_total_limit, o.max_concurrent_generations AS org_max_concurrent,
              o.status AS org_status, o.suspended_reason, k.limit_cents, k.limit_reset
         FROM api_keys k JOIN organizations o ON o.id = k.org_id WHERE k.secret_hash = $1`,
      [hash],
    );
    if (this.cache.size >= this.maxEntries) this.evictStale(t);
    this.cache.set(hash, { at: t, row: row ?? null });
    return row ?? null;
  }

  private evictStale(t: number) {
    for (const [k, v] of this.cache) if (t - v.at >= this.ttl) this.cache.delete(k);
    // Still full (a flood of distinct keys): drop the oldest half rather than grow without bound.
    if (this.cache.size >= this.maxEntries) {
      let n = Math.floor(this.cache.size / 2);
      for (const k of this.cache.keys()) {
        if (n-- <= 0) break;
        this.cache.delete(k);
      }
    }
  }

  /** Throttled, fire-and-forget: a failed write of last_used_at must never fail the request. */
  private touch(keyId: string) {
    const t = this.now();
    const last = this.touched.get(keyId);
    if (last !== undefined && t - last < this.touchEvery) return;
    this.touched.set(keyId, t);
    if (this.touched.size > this.maxEntries) this.touched.clear();
    this.ds
      .query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`, [keyId, this.touchEvery / 1000])
      .catch(() => undefined);
  }

  /** Drops this replica's cache (tests; also usable after a local revoke). */
  forget() {
    this.cache.clear();
  }
}

/**
 * A key's own limit can only lower what its org is allowed (the org's, else the default): keys are
 * created by the customer's management keys, so a key limit above the org's would let a customer lift
 * the ceiling the operator set. To raise it, the operator raises the org's.
 */
export function effectiveLimit(keyLimit: number | null, orgCeiling: number): number {
  return keyLimit === null ? orgCeiling : Math.min(keyLimit, orgCeiling);
}

/** What a create tells the router about the key that made it: its id (holds are tagged with it) and its spend limit. */
export function keyOfCreate(p: Principal): { keyId: string; keyLimit?: KeyLimit } {
  return { keyId: p.keyId, ...(p.spendLimit ? { keyLimit: p.spendLimit } : {}) };
}
