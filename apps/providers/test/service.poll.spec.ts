import { createHash } from 'node:crypto';
import { framerateUsageFor, SAMPLE_MP4 } from '@pipevideo/sandboxes';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
import { ProviderErrorKind } from '@pipevideo/contracts';
import { ProviderError } from '../src/adapters/provider-error';
import { JobPoller } from '../src/jobs/job-poller';
import { waitFor } from './support/receiver';
import { genId, metricValue, startEnv, type Env } from './support/service-env';

/** The whole service with poll providers (Framerate, Vercel AI Gateway) and the fallback poll of callback jobs. */
describe('providers service — poll providers', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv({ callbackFallbackPollMs: 100, maxPollErrors: 3 });
  }, 30_000);
  afterAll(() => env.close());

  const framerateJob = (g: string, input: string, engine = 'hyperframes') =>
    env.submit({
      generationId: g,
      attempt: 1,
      provider: 'framerate',
      providerModelId: 'framerate',
      api: 'responses',
      params: { engine, model: 'moonshotai/kimi-k2.5', input, instructions: 'be brief', width: 640, height: 360 },
      deadlineSeconds: 900,
    });
  const gatewayJob = (g: string, prompt: string) =>
    env.submit({ generationId: g, attempt: 1, provider: 'vercel-gateway', providerModelId: 'google/veo-3.1-generate-001', api: 'video', params: { prompt, duration: 6 }, deadlineSeconds: 900 });

  it('Framerate: usage_reported exactly once when composing ends, then finished with the video', async () => {
    const g = genId('fr');
    const res = await framerateJob(g, 'a logo reveal');
    expect(res).toEqual({ ok: true, providerJobId: expect.stringMatching(/^job_/), mode: 'poll' });
    const evt = await env.waitFinished(g);
    expect(evt).toMatchObject({ provider: 'framerate', outcome: 'succeeded', outputUrl: expect.stringMatching(/\.mp4$/), artifactUrl: null, artifactType: null });
    const expected = framerateUsageFor('a logo reveal', 'be brief');
    const usage = env.usage.filter((u) => u.generationId === g);
    expect(usage).toEqual([{ v: 1, eventId: expect.stringMatching(/:usage$/), generationId: g, attempt: 1, inputTokens: expected.input_tokens, outputTokens: expected.output_tokens, correlationId: expect.any(String) }]);
    // Repeated on the finished event: the router may apply the end of the job before the usage event.
    expect(evt.usage).toEqual({ inputTokens: expected.input_tokens, outputTokens: expected.output_tokens });
    expect(await env.jobRow(g)).toMatchObject({ status: 'succeeded', usage_reported: true, input_tokens: expected.input_tokens });
  });

  it('progress: a Framerate job reports its phases (provider_job.progressed), each change once', async () => {
    const g = genId('progress');
    await framerateJob(g, 'a progress logo');
    await env.waitFinished(g);
    const [{ phases }] = await env.svc.ctx.ds.query(
      `SELECT array_agg(payload->'progress'->>'phase' ORDER BY id) AS phases FROM outbox WHERE subject = 'provider_job.progressed' AND payload->>'generationId' = $1`,
      [g],
    );
    expect(phases).toContain('storing');
    expect(phases.filter((p: string) => p !== 'storing').every((p: string) => ['queued', 'composing', 'rendering'].includes(p))).toBe(true);
  }, 20_000);

  it('Framerate lottie: artifact URL and type on the finished event', async () => {
    const g = genId('lottie');
    await framerateJob(g, 'a bouncing ball', 'lottie');
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'succeeded', artifactUrl: expect.stringMatching(/\.lottie\.json$/), artifactType: 'application/json' });
  });

  it('Framerate incomplete → failed, incomplete: true, message says incomplete; usage still reported', async () => {
    const g = genId('inc');
    await framerateJob(g, 'long [framerate:incomplete]');
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'server_error', incomplete: true, errorMessage: expect.stringMatching(/^incomplete: /) });
    expect(env.usage.filter((u) => u.generationId === g)).toHaveLength(1);
  });

  it('Framerate moderation → failed/moderation, nothing billed', async () => {
    const g = genId('mod');
    await framerateJob(g, 'x [framerate:moderation]');
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'moderation' });
    expect(env.usage.filter((u) => u.generationId === g)).toHaveLength(0);
  });

  it('Framerate cancel while rendering: upstream cancelled, usage reported once, finished(cancelled)', async () => {
    const g = genId('frcancel');
    await framerateJob(g, 'stuck [framerate:never_callback]');
    await waitFor(() => env.usage.some((u) => u.generationId === g), 'usage while rendering');
    expect(await env.cancel(g, 1)).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'cancelled' });
    expect(env.usage.filter((u) => u.generationId === g)).toHaveLength(1);
  });

  it('Vercel AI Gateway: poll-based job → finished; moderation → failed/moderation', async () => {
    const g = genId('gw');
    expect(await gatewayJob(g, 'a cat')).toMatchObject({ ok: true, mode: 'poll' });
    expect(await env.waitFinished(g)).toMatchObject({ provider: 'vercel-gateway', outcome: 'succeeded', outputUrl: expect.stringMatching(/\.mp4$/) });
    const m = genId('gwmod');
    await gatewayJob(m, 'x [vercel-gateway:moderation]');
    expect(await env.waitFinished(m)).toMatchObject({ outcome: 'failed', errorKind: 'moderation' });
    const text = await env.metrics();
    expect(metricValue(text, 'pipevideo_provider_calls_total', { provider: 'vercel-gateway', operation: 'poll', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
  });

  it('fal callback lost (never_callback): the fallback poll on the status URL finishes the job', async () => {
    const g = genId('fallback');
    const res = await env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: 'quiet [fal:never_callback]' } });
    expect(res).toMatchObject({ ok: true, mode: 'callback' });
    expect(await env.waitFinished(g)).toMatchObject({ provider: 'fal', outcome: 'succeeded', outputUrl: expect.stringMatching(/\.mp4$/) });
  });

  it('two pollers (replicas) on the same database: every job finishes exactly once', async () => {
    const core = env.svc.core;
    const second = new JobPoller(core.adapters, core.store, core.finisher, {
      intervalMs: 20,
      leaseMs: 30_000,
      batchSize: 2,
      concurrency: 2,
      callbackFallbackPollMs: 100,
      maxPollErrors: 3,
      jobMaxAgeMs: 3600_000,
      staleSubmissionMs: 600_000,
    }, undefined, core.keys, core.outputStep);
    second.start();
    try {
      const gens = Array.from({ length: 6 }, (_, i) => genId(`rep${i}`));
      await Promise.all(gens.map((g) => gatewayJob(g, `replica ${g}`)));
      await waitFor(() => gens.every((g) => env.finishedFor(g).length > 0), 'all finished');
      for (const g of gens) expect(env.finishedFor(g)).toHaveLength(1);
      const [{ n }] = await env.svc.ctx.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE subject = 'provider_job.finished' AND payload->>'generationId' = ANY($1)`, [gens]);
      expect(n).toBe(6);
    } finally {
      await second.stop();
    }
  });

  it('a provider that stops answering: polls back off, then the job fails after maxPollErrors', async () => {
    const g = genId('gone');
    await framerateJob(g, 'doomed [framerate:never_callback]');
    await env.sb.framerate.close();
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'down', errorMessage: expect.stringContaining('polling failed 3 times') });
  });

  it('a submission interrupted mid-call (left submitting) is closed as submit_failed; a fresh one is left alone', async () => {
    const core = env.svc.core;
    const [old, fresh] = [genId('stale'), genId('fresh')];
    const insert = (g: string, age: string) =>
      env.svc.ctx.ds.query(
        `INSERT INTO provider_jobs (id, generation_id, attempt, provider, provider_model_id, api, mode, status, created_at)
         VALUES (gen_random_uuid(), $1, 1, 'fal', 'fal-ai/veo3.1', 'video', 'callback', 'submitting', now() - $2::interval)`,
        [g, age],
      );
    await insert(old, '10 minutes');
    await insert(fresh, '1 second');
    const poller = new JobPoller(core.adapters, core.store, core.finisher, {
      intervalMs: 20, leaseMs: 30_000, batchSize: 10, concurrency: 2, callbackFallbackPollMs: 100, maxPollErrors: 3, jobMaxAgeMs: 3600_000, staleSubmissionMs: 120_000,
    }, core.metrics);
    const before = metricValue(await env.metrics(), 'pipevideo_provider_interrupted_submissions_total', { provider: 'fal' });
    await poller.tick();
    expect(metricValue(await env.metrics(), 'pipevideo_provider_interrupted_submissions_total', { provider: 'fal' })).toBe(before + 1);
    expect(await env.jobRow(old)).toMatchObject({ status: 'submit_failed', error_kind: 'timeout', error_message: expect.stringContaining('interrupted') });
    expect(await env.jobRow(fresh)).toMatchObject({ status: 'submitting' });
    expect(env.finishedFor(old)).toHaveLength(0); // the router gave up on that attempt: nothing to tell it
  });

  it('a submit that returns only after its row was closed as interrupted is cancelled upstream and answered as a timeout', async () => {
    const core = env.svc.core;
    const g = genId('late');
    const pending = env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: 'late [fal:slow=1500]' }, deadlineSeconds: 900 });
    await waitFor(async () => (await env.jobRow(g))?.status === 'submitting', 'the submission is under way');
    await new Promise((r) => setTimeout(r, 300));
    const poller = new JobPoller(core.adapters, core.store, core.finisher, {
      intervalMs: 20, leaseMs: 30_000, batchSize: 10, concurrency: 2, callbackFallbackPollMs: 100, maxPollErrors: 3, jobMaxAgeMs: 3600_000, staleSubmissionMs: 200,
    });
    await poller.tick();
    expect(await env.jobRow(g)).toMatchObject({ status: 'submit_failed' });
    expect(await pending).toMatchObject({ ok: false, kind: 'timeout' });
    await waitFor(() => env.sb.fal.requests().some((r) => r.operation === 'cancel'), 'the late job cancelled upstream');
  });

  it("a callback-mode job is not failed by its safety-net poll erring (the callback may still come); its deadline ends it", async () => {
    const core = env.svc.core;
    const g = genId('cbpoll');
    const res = await env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: 'quiet [fal:never_callback]' }, deadlineSeconds: 900 });
    expect(res).toMatchObject({ ok: true, mode: 'callback' });
    await env.sb.fal.close(); // status checks now fail (connection refused)
    const poller = new JobPoller(core.adapters, core.store, core.finisher, {
      intervalMs: 10, leaseMs: 30_000, batchSize: 10, concurrency: 2, callbackFallbackPollMs: 20, maxPollErrors: 2, jobMaxAgeMs: 3600_000, staleSubmissionMs: 600_000,
    });
    await env.svc.ctx.ds.query(`UPDATE provider_jobs SET next_poll_at = now() WHERE generation_id = $1`, [g]);
    poller.start();
    try {
      await waitFor(async () => ((await env.jobRow(g)).poll_errors ?? 0) >= 4, 'several failed safety-net polls');
      expect(await env.jobRow(g)).toMatchObject({ status: 'running' });
      expect(env.finishedFor(g)).toHaveLength(0);
      // Past its deadline (and the grace), the next failed check ends it.
      await env.svc.ctx.ds.query(`UPDATE provider_jobs SET deadline_at = now() - interval '2 minutes', next_poll_at = now() WHERE generation_id = $1`, [g]);
      expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorMessage: expect.stringContaining('polling failed') });
    } finally {
      await poller.stop();
    }
  });

  it('outputs are stored before the job finishes: the event names the stored file, with its checksum and duration', async () => {
    const g = genId('stored');
    await gatewayJob(g, 'a stored cat');
    const evt = await env.waitFinished(g);
    expect(evt).toMatchObject({ outcome: 'succeeded', output: { key: `outputs/${g}/1/video.mp4`, bytes: SAMPLE_MP4.length, sha256: sha256(SAMPLE_MP4), contentType: 'video/mp4' }, artifact: null });
    expect(evt.output!.durationSeconds).toBeGreaterThan(0);
    expect(new Date(evt.output!.retainedUntil).getTime()).toBeGreaterThan(Date.now());
    const stored = await env.svc.core.storage.head(evt.output!.key);
    expect(stored?.bytes).toBe(SAMPLE_MP4.length);
    expect(await env.jobRow(g)).toMatchObject({ status: 'succeeded', store_attempts: 0 });
    const [row] = await env.svc.ctx.ds.query(`SELECT * FROM stored_outputs WHERE key = $1`, [evt.output!.key]);
    expect(row).toMatchObject({ generation_id: g, kind: 'output', sha256: sha256(SAMPLE_MP4) });
  }, 20_000);

  it('an inline (base64) video from the Vercel AI Gateway is decoded and stored; the event carries no data: URI', async () => {
    const g = genId('inline');
    await gatewayJob(g, 'inline [vercel-gateway:inline_video]');
    const evt = await env.waitFinished(g);
    expect(evt).toMatchObject({ outcome: 'succeeded', outputUrl: null, output: { sha256: sha256(SAMPLE_MP4) } });
    expect((await env.jobRow(g)).output_url).toBeNull();
  }, 20_000);

  it('a flaky file server is retried; an output that is not a video fails the job (output_store_failed) without retries', async () => {
    const flaky = genId('flakyfile');
    await gatewayJob(flaky, 'retry me [vercel-gateway:file_flaky]');
    expect(await env.waitFinished(flaky)).toMatchObject({ outcome: 'succeeded', output: { sha256: sha256(SAMPLE_MP4) } });
    expect((await env.jobRow(flaky)).store_attempts).toBe(2);
    const bad = genId('badfile');
    await gatewayJob(bad, 'fake [vercel-gateway:bad_output]');
    expect(await env.waitFinished(bad)).toMatchObject({ outcome: 'failed', errorKind: 'output_store_failed', errorMessage: expect.stringMatching(/not an MP4 or WebM/) });
    expect((await env.jobRow(bad)).store_attempts).toBe(0);
    const text = await env.metrics();
    expect(metricValue(text, 'pipevideo_output_copies_total', { provider: 'vercel-gateway', result: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'pipevideo_output_copies_total', { provider: 'vercel-gateway', result: 'retried' })).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('a provider rate-limiting our status checks: polls back off but the job is not failed for it; past its deadline it fails and is cancelled upstream', async () => {
    const core = env.svc.core;
    const g = genId('throttled');
    await gatewayJob(g, 'a throttled cat [vercel-gateway:slow_job=600000]');
    const real = core.adapters.get('vercel-gateway')!;
    const cancels: unknown[] = [];
    let polls = 0;
    // The provider answers every status check 429 (what httpError makes of it); its cancel is recorded.
    const throttled = Object.assign(Object.create(real), {
      poll: async () => {
        polls++;
        throw new ProviderError(ProviderErrorKind.RateLimited, 'vercel-gateway poll answered HTTP 429: slow down', 429);
      },
      cancel: async (handle: unknown) => void cancels.push(handle),
    });
    const adapters = { get: (slug: string) => (slug === 'vercel-gateway' ? throttled : core.adapters.get(slug)) } as unknown as typeof core.adapters;
    const poller = new JobPoller(adapters, core.store, core.finisher, {
      intervalMs: 10, leaseMs: 30_000, batchSize: 10, concurrency: 2, callbackFallbackPollMs: 20, maxPollErrors: 2, jobMaxAgeMs: 3600_000, staleSubmissionMs: 600_000,
    }, undefined, core.keys);
    // Only the throttled poller checks the job meanwhile (the service's own would ask the healthy sandbox).
    await core.poller.stop();
    await env.svc.ctx.ds.query(`UPDATE provider_jobs SET next_poll_at = now() WHERE generation_id = $1`, [g]);
    poller.start();
    try {
      await waitFor(() => polls >= 4, 'several rate-limited polls');
      // Not counted as failed checks: one 5xx after many 429s must not end the job either.
      expect(await env.jobRow(g)).toMatchObject({ status: 'running', poll_errors: 0 });
      expect(env.finishedFor(g)).toHaveLength(0);
      await env.svc.ctx.ds.query(`UPDATE provider_jobs SET deadline_at = now() - interval '2 minutes', next_poll_at = now() WHERE generation_id = $1`, [g]);
      expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'rate_limited' });
      await waitFor(() => cancels.length === 1, 'the job cancelled upstream');
    } finally {
      await poller.stop();
      core.poller.start();
    }
  });

  it('a copy that outlasts the poll lease keeps it: another replica does not start a second copy of the same output meanwhile', async () => {
    const core = env.svc.core;
    await core.poller.stop();
    const g = genId('slowcopy');
    let copying!: () => void;
    const started = new Promise<void>((r) => (copying = r));
    // The real copy, after a wait longer than the lease.
    const slow = { ...core.outputStep!, copier: { copy: async (row: any) => { copying(); await new Promise((r) => setTimeout(r, 1200)); return core.outputStep!.copier.copy(row); } } } as typeof core.outputStep;
    const poller = new JobPoller(core.adapters, core.store, core.finisher, {
      intervalMs: 20, leaseMs: 300, batchSize: 10, concurrency: 2, callbackFallbackPollMs: 100, maxPollErrors: 3, jobMaxAgeMs: 3600_000, staleSubmissionMs: 600_000,
    }, undefined, core.keys, slow);
    poller.start();
    try {
      await gatewayJob(g, 'a slowly stored cat');
      await started;
      // Well past the 300 ms lease, another replica looks for due jobs: this one is still leased.
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const claimed = await core.store.claimDue('another-replica', 300, 50);
        expect(claimed.map((j) => j.generation_id)).not.toContain(g);
      }
      expect(await env.waitFinished(g)).toMatchObject({ outcome: 'succeeded', output: { key: `outputs/${g}/1/video.mp4` } });
    } finally {
      await poller.stop();
      core.poller.start();
    }
  });
});
