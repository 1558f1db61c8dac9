import { ErrorCode, RPC } from '@pipevideo/contracts';
import { Webhook } from 'standardwebhooks';
import { waitFor } from './support/receiver';
import { genId, metricValue, startEnv, type Env } from './support/service-env';

/**
 * The whole service with callback providers: startProvidersService on a fresh DB with in-process
 * messaging, jobs submitted over RPC, real signed callbacks from the fal and Replicate sandboxes,
 * `provider_job.finished` observed on the event bus.
 */
describe('providers service — callback providers (fal, Replicate)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv({ callbackFallbackPollMs: 0 });
  }, 30_000);
  afterAll(() => env.close());

  const falJob = (g: string, prompt: string, extra: Record<string, unknown> = {}) =>
    env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt, duration: 6, aspectRatio: '16:9', ...extra }, deadlineSeconds: 900 });
  const replicateJob = (g: string, prompt: string) =>
    env.submit({ generationId: g, attempt: 1, provider: 'replicate', providerModelId: 'google/veo-3.1', api: 'video', params: { prompt }, deadlineSeconds: 900 });
  const callbacksLogged = (sandbox: { requests(): Array<{ operation: string; jobId?: string; status?: number }> }, jobId: string) =>
    sandbox.requests().filter((r) => r.operation === 'callback' && r.jobId === jobId);

  it('fal: submit → signed callback → one provider_job.finished (succeeded)', async () => {
    const g = genId('fal');
    const res = await falJob(g, 'a cat on a beach', { withAudio: true });
    expect(res).toEqual({ ok: true, providerJobId: expect.any(String), mode: 'callback' });
    const evt = await env.waitFinished(g);
    expect(evt).toMatchObject({
      v: 1,
      eventId: expect.stringMatching(/:finished$/),
      generationId: g,
      attempt: 1,
      provider: 'fal',
      providerJobId: (res as any).providerJobId,
      outcome: 'succeeded',
      outputUrl: `${env.sb.fal.url}/files/${(res as any).providerJobId}.mp4`,
      errorKind: null,
    });
    const row = await env.jobRow(g);
    expect(row).toMatchObject({ status: 'succeeded', mode: 'callback', provider_job_id: (res as any).providerJobId });
    // The callback URL carries our job id, and the sandbox got a 2xx.
    expect(callbacksLogged(env.sb.fal, row.provider_job_id)).toEqual([expect.objectContaining({ status: 200, path: `${env.svc.callbackBaseUrl}/callbacks/fal/${row.id}` })]);
    const m = await env.metrics();
    expect(metricValue(m, 'pipevideo_provider_callbacks_total', { provider: 'fal', result: 'verified' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(m, 'pipevideo_provider_calls_total', { provider: 'fal', operation: 'submit', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(m).toContain('pipevideo_provider_call_duration_seconds_bucket');
    expect(m).toMatch(/pipevideo_provider_jobs_in_flight\{[^}]*provider="fal"[^}]*\} 0/);
  });

  it('fal: the same callback delivered twice (same request_id) → one completion, the second counted as duplicate', async () => {
    const g = genId('faldup');
    const res = await falJob(g, 'twice [fal:duplicate_callback]');
    const id = (res as any).providerJobId;
    await waitFor(() => callbacksLogged(env.sb.fal, id).length === 2, 'two deliveries');
    expect(callbacksLogged(env.sb.fal, id).map((c) => c.status)).toEqual([200, 200]);
    // The job ends once its output is stored (a moment after the callback): once.
    await env.waitFinished(g);
    expect(env.finishedFor(g)).toHaveLength(1);
    expect(metricValue(await env.metrics(), 'pipevideo_provider_callbacks_total', { provider: 'fal', result: 'duplicate' })).toBeGreaterThanOrEqual(1);
  });

  it('fal: a callback signed with a key not in the JWKS → 401, nothing finishes', async () => {
    const g = genId('falbad');
    const res = await falJob(g, 'forged [fal:bad_signature]');
    const id = (res as any).providerJobId;
    await waitFor(() => callbacksLogged(env.sb.fal, id).length === 3, 'all deliveries');
    expect(callbacksLogged(env.sb.fal, id).map((c) => c.status)).toEqual([401, 401, 401]);
    expect(env.finishedFor(g)).toHaveLength(0);
    expect((await env.jobRow(g)).status).toBe('running');
    expect(metricValue(await env.metrics(), 'pipevideo_provider_callbacks_total', { provider: 'fal', result: 'bad_signature' })).toBeGreaterThanOrEqual(3);
  });

  it('fal: moderation → finished failed/moderation', async () => {
    const g = genId('falmod');
    await falJob(g, 'nsfw [fal:moderation]');
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'moderation', errorMessage: expect.stringContaining('flagged') });
  });

  it('submit failures are answers, not errors: garbage, 429, 503, bad request', async () => {
    expect(await falJob(genId('g'), 'x [fal:garbage]')).toEqual({ ok: false, kind: 'garbage', retryable: true, message: expect.stringContaining('garbage') });
    expect(await falJob(genId('g'), 'x [fal:rate_limited]')).toMatchObject({ ok: false, kind: 'rate_limited', retryable: true });
    expect(await falJob(genId('g'), 'x [fal:down]')).toMatchObject({ ok: false, kind: 'down', retryable: true });
    expect(await falJob(genId('g'), 'x [fal:bad_request]')).toMatchObject({ ok: false, kind: 'input_rejected', retryable: true });
    expect(await replicateJob(genId('g'), 'x [replicate:garbage]')).toMatchObject({ ok: false, kind: 'garbage', retryable: true });
    const m = await env.metrics();
    expect(metricValue(m, 'pipevideo_provider_calls_total', { provider: 'fal', operation: 'submit', outcome: 'garbage' })).toBe(1);
    expect(metricValue(m, 'pipevideo_provider_calls_total', { provider: 'fal', operation: 'submit', outcome: 'rate_limited' })).toBe(1);
  });

  it('unsafe imageUrl is a final bad request; invalid messages are BAD_REQUEST errors', async () => {
    expect(await falJob(genId('img'), 'x', { imageUrl: 'http://example.com/a.png' })).toMatchObject({ ok: false, kind: 'bad_request', retryable: false, message: expect.stringContaining('https') });
    expect(await falJob(genId('img'), 'x', { imageUrl: 'data:text/html;base64,AAAA' })).toMatchObject({ ok: false, kind: 'bad_request' });
    // Every URL in what goes upstream passes the guard, whatever the field: here a model option.
    const endFrame = await env.submit({
      generationId: genId('end'), attempt: 1, provider: 'fal', providerModelId: 'fal-ai/kling-video/v3/pro/image-to-video', api: 'video',
      params: { prompt: 'x', duration: 5, imageUrl: 'https://example.com/a.png', options: { end_image_url: 'http://169.254.169.254/latest/meta-data' } }, deadlineSeconds: 900,
    });
    expect(endFrame).toMatchObject({ ok: false, kind: 'bad_request', retryable: false, message: expect.stringContaining('end_image_url') });
    await expect(env.submit({ generationId: 'g', attempt: 1, provider: 'nope', providerModelId: 'm', api: 'video', params: {} })).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
    await expect(env.svc.ctx.messaging.rpc.request(RPC.providers.jobSubmit, { attempt: 1 } as never /* a malformed message, on purpose */)).rejects.toMatchObject({ code: ErrorCode.BAD_REQUEST });
  });

  it('a repeated submit of the same attempt answers the same job and starts nothing new upstream', async () => {
    const g = genId('idem');
    const a = await falJob(g, 'once');
    const b = await falJob(g, 'once');
    expect(b).toEqual(a);
    const submits = env.sb.fal.requests().filter((r) => r.operation === 'submit' && r.jobId === (a as any).providerJobId);
    expect(submits).toHaveLength(1);
    await env.waitFinished(g);
  });

  it('Replicate: webhook verified with the fetched secret; duplicate webhook-id → one completion', async () => {
    const g = genId('rep');
    const res = await replicateJob(g, 'a dog [replicate:duplicate_callback]');
    expect(res).toMatchObject({ ok: true, mode: 'callback' });
    const evt = await env.waitFinished(g);
    expect(evt).toMatchObject({ provider: 'replicate', outcome: 'succeeded', outputUrl: expect.stringContaining('/files/') });
    await waitFor(() => callbacksLogged(env.sb.replicate, (res as any).providerJobId).length === 2, 'two deliveries');
    expect(env.finishedFor(g)).toHaveLength(1);
  });

  it('Replicate: replayed, forged, expired and wrong-secret webhooks change nothing', async () => {
    const g = genId('repsig');
    const res = await replicateJob(g, 'signed');
    await env.waitFinished(g);
    const row = await env.jobRow(g);
    const url = `${env.svc.callbackBaseUrl}/callbacks/replicate/${row.id}`;
    const body = JSON.stringify({ id: (res as any).providerJobId, status: 'failed', error: 'replayed' });
    const wh = new Webhook(env.sb.replicate.webhookSecret);
    const post = (headers: Record<string, string>, raw = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
    const sign = (id: string, at: Date, raw = body) => ({ 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': wh.sign(id, at, raw) });

    const valid = sign('msg_replay', new Date());
    expect((await post(valid)).status).toBe(200); // validly signed but the job is final: a no-op
    expect((await post(valid)).status).toBe(200); // replay of the same id
    expect((await post(valid, body.replace('replayed', 'forged'))).status).toBe(401);
    expect((await post(sign('msg_old', new Date(Date.now() - 400_000)))).status).toBe(401);
    const wrong = new Webhook('whsec_' + Buffer.from('not the secret').toString('base64'));
    const now = new Date();
    expect((await post({ 'webhook-id': 'msg_w', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wrong.sign('msg_w', now, body) })).status).toBe(401);
    expect(env.finishedFor(g)).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    const m = await env.metrics();
    expect(metricValue(m, 'pipevideo_provider_callbacks_total', { provider: 'replicate', result: 'expired' })).toBe(1);
    expect(metricValue(m, 'pipevideo_provider_callbacks_total', { provider: 'replicate', result: 'bad_signature' })).toBeGreaterThanOrEqual(2);
    // unknown job refs and providers without callbacks
    expect((await fetch(`${env.svc.callbackBaseUrl}/callbacks/replicate/00000000-0000-0000-0000-000000000000`, { method: 'POST', headers: { 'content-type': 'application/json', ...sign('msg_x', new Date()) }, body })).status).toBe(404);
    expect((await fetch(`${env.svc.callbackBaseUrl}/callbacks/framerate/${row.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(404);
  });

  it('Replicate: a validly signed webhook for a running job finishes it once, whatever the order', async () => {
    const g = genId('repearly');
    const res = await env.submit({ generationId: g, attempt: 1, provider: 'replicate', providerModelId: 'google/veo-3.1', api: 'video', params: { prompt: 'never [replicate:never_callback]' } });
    const row = await env.jobRow(g);
    const body = JSON.stringify({ id: (res as any).providerJobId, status: 'failed', error: 'The input or output was flagged as sensitive. (E005)' });
    const at = new Date();
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_early', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(env.sb.replicate.webhookSecret).sign('msg_early', at, body) };
    const url = `${env.svc.callbackBaseUrl}/callbacks/replicate/${row.id}`;
    const answers = await Promise.all([1, 2, 3].map(() => fetch(url, { method: 'POST', headers, body }).then((r) => r.status)));
    expect(answers).toEqual([200, 200, 200]);
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'failed', errorKind: 'moderation' });
    expect(env.finishedFor(g)).toHaveLength(1);
  });

  it('cancel: upstream cancel, one finished(cancelled) event, then a late callback is a duplicate', async () => {
    const g = genId('cancel');
    const res = await replicateJob(g, 'cancel me [replicate:never_callback]');
    expect(await env.cancel(g, 1)).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(await env.waitFinished(g)).toMatchObject({ outcome: 'cancelled', provider: 'replicate' });
    expect(await env.cancel(g, 1)).toEqual({ cancelled: false });
    expect(await env.cancel('gen_unknown', 1)).toEqual({ cancelled: false });
    // A late (validly signed) completion after the cancel: 200 so Replicate stops, but no second event.
    const row = await env.jobRow(g);
    const body = JSON.stringify({ id: (res as any).providerJobId, status: 'succeeded', output: 'https://example.com/v.mp4' });
    const at = new Date();
    const late = await fetch(`${env.svc.callbackBaseUrl}/callbacks/replicate/${row.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_late', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(env.sb.replicate.webhookSecret).sign('msg_late', at, body) },
      body,
    });
    expect(late.status).toBe(200);
    expect(await late.json()).toEqual({ ok: true, duplicate: true });
    expect(env.finishedFor(g)).toHaveLength(1);
  });
});

describe('providers service — fal JWKS outage', () => {
  it('keys unobtainable (JWKS down, nothing cached) → 503 to fal, which retries; nothing finishes', async () => {
    const env = await startEnv({ callbackFallbackPollMs: 0 });
    try {
      const g = genId('jwks');
      const res = await env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: 'keys [fal:jwks_down]' } });
      const id = (res as any).providerJobId;
      await waitFor(() => env.sb.fal.requests().filter((r) => r.operation === 'callback' && r.jobId === id).length === 3, 'all deliveries');
      expect(env.sb.fal.requests().filter((r) => r.operation === 'callback' && r.jobId === id).map((r) => r.status)).toEqual([503, 503, 503]);
      expect(env.finishedFor(g)).toHaveLength(0);
      expect(metricValue(await env.metrics(), 'pipevideo_provider_callbacks_total', { provider: 'fal', result: 'keys_unavailable' })).toBe(3);
    } finally {
      await env.close();
    }
  }, 30_000);
});
