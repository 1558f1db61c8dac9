import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `fn` at most once per (consumer, eventId): the dedupe row is inserted in the same
 * transaction as the consumer's own changes, so a redelivered event changes nothing twice.
 * Returns false when the event had already been processed.
 */
export async function processOnce(
  ds: DataSource,
  consumer: string,
  eventId: string,
  fn: (m: EntityManager) => Promise<void>,
): Promise<boolean> {
  return ds.transaction(async (m) => {
    const inserted = await m.query(
      `INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, eventId],
    );
    if (!inserted.length) return false;
    await fn(m);
    return true;
  });
}
