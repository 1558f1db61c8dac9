import { fingerprint, type RetentionRule } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';

export type IdempotencyBegin =
  | { kind: 'proceed' }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function requestHash(parts: { method: string; route: string; params: unknown; body: unknown }): string {
  return fingerprint(parts);
}

/**
 * Idempotency-Key records. `begin` inserts a `pending` row under a unique (scope, key) — of two
 * concurrent duplicates exactly one inserts and proceeds; the other sees the row. A row older than
 * the TTL, or a pending row abandoned by a crashed replica, is taken over by the same upsert.
 */
export class IdempotencyStore {
  constructor(
    private readonly ds: DataSource,
    private readonly ttlSeconds = 24 * 3600,
    private readonly abandonedAfterSeconds = 120,
  ) {}

  async begin(scope: string, key: string, hash: string): Promise<IdempotencyBegin> {
    const taken = await this.ds.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'pending', status_code = NULL,
              response_body = NULL, created_at = now(), locked_at = now()
        WHERE idempotency_keys.created_at < now() - make_interval(secs => $4)
           OR (idempotency_keys.state = 'pending' AND idempotency_keys.locked_at < now() - make_interval(secs => $5))
       RETURNING scope`,
      [scope, key, hash, this.ttlSeconds, this.abandonedAfterSeconds],
    );
    if (taken.length) return { kind: 'proceed' };
    const [row] = await this.ds.query(`SELECT request_hash, state, status_code, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key]);
    // Deleted between our two statements (its request failed): the caller may simply retry.
    if (!row) return { kind: 'in_progress' };
    if (row.request_hash !== hash) return { kind: 'mismatch' };
    if (row.state === 'pending') return { kind: 'in_progress' };
    return { kind: 'replay', statusCode: row.status_code, body: row.response_body };
  }

  /** Stores the answer to replay, without the secrets it may carry (see withoutSecrets). */
  async complete(scope: string, key: string, statusCode: number, body: unknown): Promise<void> {
    await this.ds.query(`UPDATE idempotency_keys SET state = 'completed', status_code = $3, response_body = $4::jsonb WHERE scope = $1 AND key = $2 AND state = 'pending'`, [
      scope,
      key,
      statusCode,
      JSON.stringify(withoutSecrets(body) ?? null),
    ]);
  }

  /** The request failed: forget the key so that a retry with it is processed afresh. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.ds.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'pending'`, [scope, key]);
  }

  /** Keys past their TTL, pruned on the service's schedule (RetentionJanitor), in batches by `created_at`'s index. */
  retentionRule(): RetentionRule {
    return {
      table: 'idempotency_keys',
      retentionMs: this.ttlSeconds * 1000,
      deleteBatchSql: `DELETE FROM idempotency_keys WHERE (scope, key) IN (SELECT scope, key FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $2::float / 1000) ORDER BY created_at LIMIT $1)`,
    };
  }
}

/**
 * A secret shown once stays shown once: an API key (`pv_…`) is kept only as a hash and a webhook
 * signing secret only sealed, so the replayable copy of an answer that issued one must not keep it in
 * clear. A replay answers the same object with the secret set to null (its id lets the caller rotate
 * it if the first answer was lost).
 */
export function withoutSecrets(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of ['key', 'secret'])
    if (typeof out[field] === 'string' && /^(pv_|whsec_)/.test(out[field] as string)) out[field] = null;
  return out;
}
