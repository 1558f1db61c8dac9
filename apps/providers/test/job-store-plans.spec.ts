/**
 * The providers service's periodic queries (the poller's claim of due jobs, the close of stale
 * submissions) find their rows by index whatever the history: they run every poll interval, so a
 * sequential scan would cost in proportion to every job ever submitted (issue "Performance").
 */
import { createServiceDataSource, createTestDatabase, initServiceDataSource, planOf, recordStatements, type SentStatement, TestDatabase } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { PROVIDERS_MIGRATIONS } from '../src/service';
import { JobStore } from '../src/jobs/job-store';

jest.setTimeout(60_000);

describe('provider_jobs: periodic queries by index', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: JobStore;
  let sent: SentStatement[];

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createServiceDataSource({ url: db.url, schema: 'providers', migrations: PROVIDERS_MIGRATIONS, poolSize: 2 });
    await initServiceDataSource(ds);
    sent = recordStatements(ds).sent;
    store = new JobStore(ds);
    // History: 50,000 finished jobs, and a few running, as the planner sees them after ANALYZE.
    await ds.query(`INSERT INTO provider_jobs (id, generation_id, attempt, provider, provider_model_id, api, mode, status, finished_at)
                    SELECT gen_random_uuid(), 'gen_' || i, 1, 'fal', 'm', 'video', 'callback', 'succeeded', now() FROM generate_series(1, 50000) i`);
    await ds.query(`INSERT INTO provider_jobs (id, generation_id, attempt, provider, provider_model_id, api, mode, status, next_poll_at)
                    SELECT gen_random_uuid(), 'gen_run_' || i, 1, 'fal', 'm', 'video', 'callback', 'running', now() + interval '1 minute' FROM generate_series(1, 20) i`);
    await ds.query('ANALYZE provider_jobs');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const planOfCall = async (call: () => Promise<unknown>) => {
    sent.length = 0;
    await call();
    return planOf(ds, sent.find((s) => /provider_jobs/.test(s.query))!);
  };

  it('the claim of due jobs', async () => {
    expect(await planOfCall(() => store.claimDue('me', 30_000, 50))).not.toMatch(/Seq Scan on provider_jobs/);
  });

  it('the close of stale submissions', async () => {
    expect(await planOfCall(() => store.closeStaleSubmissions(60_000))).not.toMatch(/Seq Scan on provider_jobs/);
  });
});
