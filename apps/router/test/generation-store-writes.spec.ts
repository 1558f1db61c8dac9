/**
 * The create path's writes on a real PostgreSQL (issue "Performance"): a generation and its first
 * attempt are one statement under the org's in-flight cap, and submissions that arrive together are
 * recorded in one statement per batch, each only while its attempt is the open, current one.
 */
import { DomainError } from '@pipevideo/contracts';
import { createServiceDataSource, createTestDatabase, initServiceDataSource, planOf, recordStatements, type SentStatement, TestDatabase } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { ROUTER_MIGRATIONS } from '../src/service';
import { GenerationStore, newGenerationId, type NewGeneration } from '../src/generations/generation.store';
import type { CandidateSnapshot } from '../src/generations/generation.types';

jest.setTimeout(30_000);

const candidate = (routeId: string, cents: number): CandidateSnapshot => ({
  modelSlug: 'google/veo-3.1', routeId, provider: routeId.split('@')[1], providerModelId: 'veo', resolution: '720p', durationSeconds: 6, withAudio: false,
  estimatedCostCents: cents, perSecondCents: null,
});

describe('GenerationStore writes on the create path', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: GenerationStore;
  let sent: SentStatement[];
  const texts = () => sent.map((s) => s.query.trim());

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createServiceDataSource({ url: db.url, schema: 'router', migrations: ROUTER_MIGRATIONS, poolSize: 8 });
    await initServiceDataSource(ds);
    sent = recordStatements(ds).sent;
    store = new GenerationStore(ds, { of: async () => ({}) } as never);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const newGen = (orgId: string, extra: Partial<NewGeneration> = {}): NewGeneration => ({
    id: newGenerationId(), orgId, api: 'video', requestedModel: 'google/veo-3.1', request: { prompt: 'a fox' },
    candidates: [candidate('veo@fal', 27), candidate('veo@replicate', 30)], leaseOwner: 'me', leaseMs: 30_000,
    firstAttempt: { idx: 1, holdCents: 30, byok: false }, ...extra,
  });

  it('stores the generation with its first attempt in one statement, leased to the creator', async () => {
    sent.length = 0;
    const g = newGen('org_one');
    const { row, created } = await store.insert(g);
    expect(created).toBe(true);
    expect(sent).toHaveLength(1);
    expect(row).toMatchObject({ id: g.id, status: 'pending', attempt: 1, next_candidate: 2, lease_owner: 'me' });
    const attempts = await ds.query(`SELECT attempt, route_id, provider, hold_id, hold_cents, byok, outcome FROM generation_attempts WHERE generation_id = $1`, [g.id]);
    expect(attempts).toEqual([{ attempt: 1, route_id: 'veo@replicate', provider: 'replicate', hold_id: `${g.id}:1`, hold_cents: 30, byok: false, outcome: null }]);
  });

  it('the in-flight cap is exact under concurrent creates, and a retry under a used Idempotency-Key is answered even at the cap', async () => {
    const first = newGen('org_cap', { maxInFlight: 3, idempotency: { key: 'k1', fingerprint: 'f' } });
    await store.insert(first);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.insert(newGen('org_cap', { maxInFlight: 3 }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason).toBeInstanceOf(DomainError);
    expect(refusal.reason).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { retry_after: 10 } });
    expect(refusal.reason.message).toBe('Too many generations in flight: this organization has 3 pending or processing, its limit is 3. Retry when one finishes.');
    const replay = await store.insert(newGen('org_cap', { maxInFlight: 3, idempotency: { key: 'k1', fingerprint: 'f' } }));
    expect(replay).toMatchObject({ created: false, row: { id: first.id } });
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM generations WHERE org_id = 'org_cap'`);
    expect(n).toBe(3);
  });

  it('the in-flight counter the cap reads follows every way in and out (insert, submission, end, discard, delete)', async () => {
    const counter = async () => (await ds.query(`SELECT n FROM org_in_flight WHERE org_id = 'org_count'`))[0]?.n ?? 0;
    const truth = async () => (await ds.query(`SELECT count(*)::int AS n FROM generations WHERE org_id = 'org_count' AND status IN ('pending', 'processing')`))[0].n;
    const rows = await Promise.all(Array.from({ length: 6 }, async () => (await store.insert(newGen('org_count', { maxInFlight: 100 }))).row));
    expect(await counter()).toBe(6);
    const c = candidate('veo@replicate', 30);
    await store.markSubmitted(rows[0], 1, c, `${rows[0].id}:1`, 'job-0', 'callback', 60_000, { cents: 30, byok: false });
    await store.finish(rows[0].id, { status: 'completed', costCents: 30, holdId: `${rows[0].id}:1` });
    await store.finish(rows[1].id, { status: 'failed', errorMessage: 'x', holdId: null });
    await store.finish(rows[1].id, { status: 'failed', errorMessage: 'again', holdId: null }); // guarded: no second move
    await store.discard(rows[2].id, 'me');
    await ds.query(`DELETE FROM generation_attempts WHERE generation_id = $1`, [rows[0].id]);
    await ds.query(`DELETE FROM generations WHERE id = $1`, [rows[0].id]); // a finished one: nothing changes
    expect(await counter()).toBe(3);
    expect(await counter()).toBe(await truth());
    // At the cap the create reads the counter, not the rows.
    await expect(store.insert(newGen('org_count', { maxInFlight: 3 }))).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    await store.finish(rows[3].id, { status: 'cancelled', holdId: null });
    expect((await store.insert(newGen('org_count', { maxInFlight: 3 }))).created).toBe(true);
    expect(await counter()).toBe(await truth());
  });

  it("discarding a refused create releases its open attempt's hold with it (a hold request that failed on our side may still commit at billing)", async () => {
    const releases = async (holdId: string) =>
      (await ds.query(`SELECT payload FROM outbox WHERE subject = 'hold.release_requested' AND event_id = $1`, [`release:${holdId}`])).map((r: any) => r.payload);
    // The hold call threw and PostgreSQL failed too: the attempt is still open when the discard gets through.
    const open = (await store.insert(newGen('org_discard'))).row;
    // Only the replica whose lease made it, while the lease lasts (past it a sweeper may run it).
    expect(await store.discard(open.id, 'another-replica')).toBe(false);
    expect(await store.discard(open.id, 'me')).toBe(true);
    expect(await releases(`${open.id}:1`)).toEqual([expect.objectContaining({ orgId: 'org_discard', holdId: `${open.id}:1`, reason: 'discarded' })]);
    expect(await ds.query(`SELECT 1 FROM generations WHERE id = $1 UNION ALL SELECT 1 FROM generation_attempts WHERE generation_id = $1`, [open.id])).toEqual([]);
    // The hold call threw, the attempt was ended with its release: one release, not two.
    const ended = (await store.insert(newGen('org_discard'))).row;
    await store.endAttempt(ended, 1, 'abandoned', null, 'billing unreachable', true);
    expect(await store.discard(ended.id, 'me')).toBe(true);
    expect(await releases(`${ended.id}:1`)).toHaveLength(1);
    // Taken over and finished meanwhile: not a refused create any more, left alone.
    const finished = (await store.insert(newGen('org_discard'))).row;
    await store.finish(finished.id, { status: 'failed', errorMessage: 'x', holdId: null });
    expect(await store.discard(finished.id, 'me')).toBe(false);
    // A lease that ran out: taken over (or about to be), left alone.
    const expired = (await store.insert(newGen('org_discard', { leaseMs: 1 }))).row;
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.discard(expired.id, 'me')).toBe(false);
    expect(await ds.query(`SELECT status FROM generations WHERE id = $1`, [expired.id])).toEqual([{ status: 'pending' }]);
    expect(await ds.query(`SELECT status FROM generations WHERE id = $1`, [finished.id])).toEqual([{ status: 'failed' }]);
    expect(await ds.query(`SELECT attempt FROM generation_attempts WHERE generation_id = $1`, [finished.id])).toEqual([{ attempt: 1 }]);
  });

  it('records submissions that arrive together in one statement per batch; one whose attempt ended meanwhile is not recorded', async () => {
    const rows = await Promise.all(Array.from({ length: 10 }, async () => (await store.insert(newGen('org_batch'))).row));
    // The customer cancelled the last one while its submit was on its way.
    const gone = rows[9];
    await ds.query(`UPDATE generation_attempts SET outcome = 'cancelled', ended_at = now() WHERE generation_id = $1`, [gone.id]);
    sent.length = 0;
    const c = candidate('veo@replicate', 30);
    const marked = await Promise.all(rows.map((g) => store.markSubmitted(g, 1, c, `${g.id}:1`, `job-${g.id}`, 'callback', 60_000, { cents: 30, byok: false })));
    expect(marked).toEqual([...Array(9).fill(true), false]);
    // The first call goes at once, the others wait for a slot and go together (at most two batches on their way).
    const batches = texts().filter((q) => q.startsWith('WITH input AS'));
    expect(batches.length).toBeLessThanOrEqual(3);
    const after = await ds.query(`SELECT g.id, g.status, g.route_id, a.provider_job_id FROM generations g JOIN generation_attempts a ON a.generation_id = g.id WHERE g.org_id = 'org_batch' ORDER BY g.id`);
    for (const r of after) {
      expect(r.provider_job_id).toBe(`job-${r.id}`);
      expect(r.status).toBe(r.id === gone.id ? 'pending' : 'processing');
    }
  });

  it('a batch finds its rows by index, whatever the history (no sequential scan of attempts or generations)', async () => {
    // History: 20,000 finished generations with their attempts, as the planner sees them after ANALYZE.
    await ds.query(`INSERT INTO generations (id, org_id, api, status, requested_model, request, candidates, attempt)
                    SELECT 'gen_old_' || i, 'org_old', 'video', 'completed', 'm', '{}', '[]', 1 FROM generate_series(1, 20000) i`);
    await ds.query(`INSERT INTO generation_attempts (generation_id, attempt, model, route_id, provider, hold_id, hold_cents, outcome)
                    SELECT 'gen_old_' || i, 1, 'm', 'r@fal', 'fal', 'gen_old_' || i || ':1', 1, 'succeeded' FROM generate_series(1, 20000) i`);
    await ds.query('ANALYZE generations; ANALYZE generation_attempts');
    const rows = await Promise.all(Array.from({ length: 3 }, async () => (await store.insert(newGen('org_plan'))).row));
    sent.length = 0;
    const c = candidate('veo@replicate', 30);
    await Promise.all(rows.map((g) => store.markSubmitted(g, 1, c, `${g.id}:1`, `job-${g.id}`, 'callback', 60_000, { cents: 30, byok: false })));
    const plan = await planOf(ds, sent.find((q) => q.query.trim().startsWith('WITH input AS'))!);
    expect(plan).not.toMatch(/Seq Scan on generation/);
  });
});
