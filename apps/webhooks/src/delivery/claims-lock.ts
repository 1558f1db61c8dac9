import type { EntityManager } from 'typeorm';

/**
 * The advisory lock every claim takes (`claim_deliveries_fair`, by this key): one claim at a time across
 * replicas. A claim locks endpoint rows (their rate tokens) and delivery rows in one statement, in an
 * order PostgreSQL does not promise, so any other transaction that locks an endpoint and one of its
 * deliveries could form a lock cycle with it. Such transactions take their turn with claims first:
 *
 * - `exclusive`: one that sweeps many deliveries (giving up a disabled endpoint's waiting ones);
 * - `shared`: one that locks deliveries and their endpoints (a failed attempt's record, a batch of
 *   successes, an endpoint's deletion, which cascades to its deliveries). These do not take turns with
 *   each other, only with claims; among themselves they keep one lock order: deliveries first, in id
 *   order, then endpoints.
 *
 * The lock is transaction-scoped: it ends with the caller's commit or rollback.
 */
export async function takeTurnWithClaims(m: EntityManager, mode: 'exclusive' | 'shared'): Promise<void> {
  const fn = mode === 'exclusive' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await m.query(`SELECT ${fn}(hashtextextended('webhooks.claim_deliveries', 0))`);
}
