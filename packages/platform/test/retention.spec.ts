/**
 * Pruning on a schedule (issue 19): the outbox, the inbox (and what a service adds) lose rows past their
 * retention, in batches, on a real PostgreSQL; rows inside it, and unpublished events, stay.
 */
import { Registry } from 'prom-client';
import { createServiceDataSource, initServiceDataSource } from '../src/db/data-source';
import { messagingRetentionRules, RetentionJanitor, type RetentionRule } from '../src/db/retention';
import { createTestDatabase, type TestDatabase } from '../src/testing/test-database';

jest.setTimeout(30_000);

describe('RetentionJanitor', () => {
  let db: TestDatabase;
  const ds = () => createServiceDataSource({ url: db.url, schema: 'svc', migrations: [] });
  let source: ReturnType<typeof ds>;

  beforeAll(async () => {
    db = await createTestDatabase('pv_retention');
    source = ds();
    await initServiceDataSource(source);
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const hour = 3600_000;
  /** The services' own rules, with an hour for the outbox and a day for the inbox. */
  const rules = (): RetentionRule[] => {
    process.env.PIPEVIDEO_OUTBOX_RETENTION_MS = String(hour);
    process.env.PIPEVIDEO_INBOX_RETENTION_MS = String(24 * hour);
    try {
      return messagingRetentionRules();
    } finally {
      delete process.env.PIPEVIDEO_OUTBOX_RETENTION_MS;
      delete process.env.PIPEVIDEO_INBOX_RETENTION_MS;
    }
  };

  it('deletes published outbox events and inbox rows past their retention, in batches; keeps the rest', async () => {
    const q = (sql: string, p: unknown[] = []) => source.query(sql, p);
    // 25 old published events (more than a batch of 10), 3 recent ones, 4 old unpublished ones.
    await q(`INSERT INTO outbox (event_id, subject, payload, created_at, published_at) SELECT 'old-' || i, 's', '{}', now() - interval '3 hours', now() - interval '2 hours' FROM generate_series(1, 25) i`);
    await q(`INSERT INTO outbox (event_id, subject, payload, published_at) SELECT 'new-' || i, 's', '{}', now() - interval '5 minutes' FROM generate_series(1, 3) i`);
    await q(`INSERT INTO outbox (event_id, subject, payload, created_at) SELECT 'waiting-' || i, 's', '{}', now() - interval '3 hours' FROM generate_series(1, 4) i`);
    await q(`INSERT INTO inbox (consumer, event_id, processed_at) SELECT 'c', 'old-' || i, now() - interval '2 days' FROM generate_series(1, 12) i`);
    await q(`INSERT INTO inbox (consumer, event_id) SELECT 'c', 'new-' || i FROM generate_series(1, 2) i`);

    const registry = new Registry();
    const janitor = new RetentionJanitor(source, rules(), registry, 60_000, 10);
    expect(await janitor.runOnce()).toBe(25 + 12);
    const left = await q(`SELECT event_id FROM outbox ORDER BY event_id`);
    expect(left.map((r: { event_id: string }) => r.event_id).sort()).toEqual(['new-1', 'new-2', 'new-3', 'waiting-1', 'waiting-2', 'waiting-3', 'waiting-4']);
    expect((await q(`SELECT event_id FROM inbox ORDER BY event_id`)).map((r: { event_id: string }) => r.event_id)).toEqual(['new-1', 'new-2']);
    expect(await janitor.runOnce()).toBe(0);
    const metric = await registry.getSingleMetric('pipevideo_pruned_rows_total')!.get();
    expect(Object.fromEntries(metric.values.map((v) => [v.labels.table, v.value]))).toEqual({ outbox: 25, inbox: 12 });
  });

  it('runs on its schedule', async () => {
    await source.query(`INSERT INTO inbox (consumer, event_id, processed_at) VALUES ('c', 'scheduled', now() - interval '2 days')`);
    const janitor = new RetentionJanitor(source, rules(), new Registry(), 50);
    janitor.start();
    try {
      const end = Date.now() + 10_000;
      while ((await source.query(`SELECT 1 FROM inbox WHERE event_id = 'scheduled'`)).length) {
        if (Date.now() > end) throw new Error('not pruned on schedule');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await janitor.stop();
    }
  });
});
