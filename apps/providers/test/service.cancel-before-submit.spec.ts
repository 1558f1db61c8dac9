import { waitFor } from './support/receiver';
import { genId, metricValue, startEnv, type Env } from './support/service-env';

/**
 * A cancel that reaches the service before the submit of its attempt (the router's submit call timed
 * out while the message was still queued): the cancel's tombstone keeps the late submit from starting
 * a job nobody wants, whichever of the two commits first. And the submit's common path: one insert,
 * one update, no read.
 */
describe('providers service — cancel before submit (tombstones)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv({ callbackFallbackPollMs: 0 });
  }, 30_000);
  afterAll(() => env.close());
  afterEach(() => jest.restoreAllMocks());

  const falJob = (g: string, prompt: string) =>
    env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt, duration: 6 }, deadlineSeconds: 900 });
  const falRequests = (operation: string, jobId?: string) => env.sb.fal.requests().filter((r) => r.operation === operation && (jobId === undefined || r.jobId === jobId));
  const tombstone = async (g: string, attempt = 1) =>
    (await env.svc.ctx.ds.query(`SELECT 1 FROM cancelled_attempts WHERE generation_id = $1 AND attempt = $2`, [g, attempt])).length === 1;

  it('a submit arriving after the cancel of its attempt starts nothing upstream and answers a retryable failure, every time', async () => {
    const g = genId('tomb');
    expect(await env.cancel(g, 1)).toEqual({ cancelled: false });
    expect(await tombstone(g)).toBe(true);
    const submitsBefore = falRequests('submit').length;
    const answer = { ok: false, kind: 'server_error', retryable: true, message: 'this attempt was cancelled before it was submitted' };
    expect(await falJob(g, 'nobody wants this')).toEqual(answer);
    expect(await falJob(g, 'nobody wants this')).toEqual(answer);
    expect(falRequests('submit')).toHaveLength(submitsBefore);
    expect(await env.jobRow(g)).toBeUndefined();
    // Another attempt of the same generation is not affected.
    expect(await env.submit({ generationId: g, attempt: 2, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: 'the next attempt', duration: 6 } })).toMatchObject({ ok: true });
    await env.waitFinished(g);
    expect(env.finishedFor(g)).toEqual([expect.objectContaining({ attempt: 2, outcome: 'succeeded' })]);
  });

  it('the race: a tombstone written after the insert (its cancel saw no row) ends the job cancelled when the provider answers, and cancels it upstream', async () => {
    const g = genId('race');
    // fal holds the submit answer 800 ms; the job would then run 10 s.
    const pending = falJob(g, 'race [fal:slow=800] [fal:slow_job=10000]');
    await waitFor(async () => (await env.jobRow(g))?.status === 'submitting', 'the submission is under way');
    // The cancel's first step, committed while our row was not visible to it: it found nothing to cancel.
    await env.svc.core.store.recordCancelledAttempt(g, 1);
    const res = await pending;
    // As for any job cancelled while it was being submitted: the provider's job id (a repeat replays it).
    expect(res).toEqual({ ok: true, providerJobId: expect.any(String), mode: 'callback' });
    const jobId = (res as { providerJobId: string }).providerJobId;
    expect(await env.jobRow(g)).toMatchObject({ status: 'cancelled', outcome: 'cancelled', provider_job_id: jobId, error_message: 'cancelled by Pipevideo' });
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'cancelled', providerJobId: jobId, attempt: 1 });
    await waitFor(() => falRequests('cancel', jobId).length === 1, 'the job cancelled upstream');
    expect(await falJob(g, 'race [fal:slow=800] [fal:slow_job=10000]')).toEqual(res);
    expect(falRequests('submit', jobId)).toHaveLength(1);
    expect(env.finishedFor(g)).toHaveLength(1);
  });

  it('a normal submit then cancel is unchanged, and a repeat submit after it replays the first answer (the tombstone hides no job)', async () => {
    const g = genId('normal');
    const first = await falJob(g, 'cancel me [fal:slow_job=10000]');
    expect(first).toMatchObject({ ok: true, mode: 'callback' });
    const jobId = (first as { providerJobId: string }).providerJobId;
    expect(await env.cancel(g, 1)).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'cancelled', providerJobId: jobId });
    expect(await falJob(g, 'cancel me [fal:slow_job=10000]')).toEqual(first);
    expect(falRequests('submit', jobId)).toHaveLength(1);
    expect(falRequests('cancel', jobId)).toHaveLength(1);
    expect(await env.cancel(g, 1)).toEqual({ cancelled: false });
    expect(env.finishedFor(g)).toHaveLength(1);
  });

  it('the common path does not read before it inserts: insert, provider, update; a repeat reads the row it replays', async () => {
    const store = env.svc.core.store;
    const reads = jest.spyOn(store, 'byAttempt');
    const tombstoneReads = jest.spyOn(store, 'isCancelledAttempt');
    const inserts = jest.spyOn(store, 'insertSubmitting');
    const updates = jest.spyOn(store, 'recordSubmitted');
    const g = genId('fast');
    const first = await falJob(g, 'two statements');
    expect(first).toMatchObject({ ok: true });
    expect([reads.mock.calls.length, tombstoneReads.mock.calls.length, inserts.mock.calls.length, updates.mock.calls.length]).toEqual([0, 0, 1, 1]);
    expect(await falJob(g, 'two statements')).toEqual(first);
    expect([reads.mock.calls.length, tombstoneReads.mock.calls.length, inserts.mock.calls.length, updates.mock.calls.length]).toEqual([1, 0, 2, 1]);
    await env.waitFinished(g);
  });

  it('tombstones are pruned after a day (counted), younger ones kept', async () => {
    const [old, fresh] = [genId('old'), genId('fresh')];
    await env.svc.ctx.ds.query(`INSERT INTO cancelled_attempts (generation_id, attempt, cancelled_at) VALUES ($1, 1, now() - interval '25 hours'), ($2, 1, now() - interval '23 hours')`, [old, fresh]);
    const before = metricValue(await env.metrics(), 'pipevideo_pruned_rows_total', { table: 'cancelled_attempts' });
    await env.svc.ctx.janitor.runOnce();
    expect(await tombstone(old)).toBe(false);
    expect(await tombstone(fresh)).toBe(true);
    expect(metricValue(await env.metrics(), 'pipevideo_pruned_rows_total', { table: 'cancelled_attempts' })).toBe(before + 1);
  });
});
