import type { EntityManager } from 'typeorm';

/**
 * Exact concurrency caps across replicas without a counter to keep in sync: the work in flight is
 * counted from the rows that represent it (an org's generations pending or processing, its open
 * streams, …) under a transaction-scoped advisory lock on the bucket, so two admissions to one bucket
 * never both see the last free slot. The caller inserts its row in the same transaction: the lock is
 * held until that commits, and the row ends the slot by its own state change (nothing to release, so
 * a crash leaks nothing).
 *
 * @throws whatever `refuse(inFlight)` returns when the bucket is at `cap`.
 */
export async function admitUnderCap(
  m: EntityManager,
  bucket: string,
  cap: number,
  countInFlight: (m: EntityManager) => Promise<number>,
  refuse: (inFlight: number) => Error,
): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [bucket]);
  const inFlight = await countInFlight(m);
  if (inFlight >= cap) throw refuse(inFlight);
}
