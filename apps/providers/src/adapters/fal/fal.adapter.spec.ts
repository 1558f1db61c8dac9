import { startFalSandbox, type RunningFalSandbox } from '@pipevideo/sandboxes';
import { failureOf, startReceiver, TEST_DEPS, waitFor, type Receiver } from '../../../test/support/receiver';
import type { JobStatus } from '../provider-adapter';
import { FalAdapter } from './fal.adapter';

const MODEL = 'fal-ai/veo3.1';

describe('fal adapter against the fal sandbox', () => {
  let fal: RunningFalSandbox;
  let receiver: Receiver;
  let adapter: FalAdapter;

  beforeAll(async () => {
    fal = await startFalSandbox({ jobDurationMs: 120, callbackRetryDelayMs: 20 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await fal.close();
    await receiver.close();
  });
  beforeEach(() => {
    fal.clearFaults();
    receiver.hits.length = 0;
    adapter = new FalAdapter({ baseUrl: fal.url, apiKey: fal.apiKey, jwksUrl: fal.jwksUrl }, TEST_DEPS);
  });

  const submit = (prompt: string, params: Record<string, unknown> = {}, model = MODEL) =>
    adapter.submit({
      jobRef: 'job-1',
      callbackUrl: `${receiver.url}/callbacks/fal/job-1`,
      providerModelId: model,
      api: 'video',
      input: adapter.normalise({ prompt, ...params }, { api: 'video', providerModelId: model }),
      idempotencyKey: 'g:1',
    });

  async function pollUntilFinal(handle: Record<string, unknown>): Promise<JobStatus> {
    let s: JobStatus = { state: 'running' };
    await waitFor(async () => (s = await adapter.poll(handle)).state === 'final', 'final status');
    return s;
  }

  it('submits with Key auth and fal_webhook, uses the app-id URLs, receives a verifiable signed callback', async () => {
    const accepted = await submit('a cat on a beach', { duration: 6, aspectRatio: '16:9', withAudio: true });
    expect(accepted.handle).toMatchObject({
      requestId: accepted.providerJobId,
      statusUrl: `${fal.url}/fal-ai/veo3.1/requests/${accepted.providerJobId}/status`,
    });
    await waitFor(() => receiver.hits.length === 1, 'callback');
    const hit = receiver.hits[0];
    expect(hit.path).toBe('/callbacks/fal/job-1');
    const verdict = await adapter.verifyAndParseCallback({ headers: hit.headers, rawBody: hit.raw });
    expect(verdict).toEqual({
      ok: true,
      callback: {
        deliveryId: accepted.providerJobId,
        providerJobId: accepted.providerJobId,
        status: { state: 'final', outcome: { outcome: 'succeeded', outputUrl: `${fal.url}/files/${accepted.providerJobId}.mp4`, durationSeconds: null } },
      },
    });
    // The same answer through the poll path (fallback).
    expect(await pollUntilFinal(accepted.handle)).toMatchObject({ state: 'final', outcome: { outcome: 'succeeded' } });
  });

  it('refuses a callback signed with a key that is not in the JWKS, and a tampered body', async () => {
    await submit('bad sig [fal:bad_signature]');
    await waitFor(() => receiver.hits.length === 1, 'callback');
    expect(await adapter.verifyAndParseCallback({ headers: receiver.hits[0].headers, rawBody: receiver.hits[0].raw })).toMatchObject({ ok: false, reason: 'bad_signature' });

    receiver.hits.length = 0;
    await submit('good');
    await waitFor(() => receiver.hits.length === 1, 'callback');
    const tampered = Buffer.from(receiver.hits[0].raw.toString().replace('"OK"', '"ERROR"'));
    expect(await adapter.verifyAndParseCallback({ headers: receiver.hits[0].headers, rawBody: tampered })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('JWKS down and nothing cached → keys_unavailable (checked while fal delivers, like a real receiver)', async () => {
    const reasons: string[] = [];
    const live = await startReceiver(async (hit) => {
      const v = await adapter.verifyAndParseCallback({ headers: hit.headers, rawBody: hit.raw });
      reasons.push(v.ok ? 'ok' : v.reason);
      return v.ok ? 200 : 503;
    });
    try {
      const model = MODEL;
      await adapter.submit({
        jobRef: 'job-2',
        callbackUrl: `${live.url}/callbacks/fal/job-2`,
        providerModelId: model,
        api: 'video',
        input: { prompt: 'keys [fal:jwks_down]' },
        idempotencyKey: 'g:2',
      });
      await waitFor(() => reasons.length === 3, 'three deliveries');
      expect(reasons).toEqual(['keys_unavailable', 'keys_unavailable', 'keys_unavailable']);
    } finally {
      await live.close();
    }
  });

  it('moderation: the callback reports a content-policy failure', async () => {
    await submit('violent [fal:moderation]');
    await waitFor(() => receiver.hits.length === 1, 'callback');
    const v = await adapter.verifyAndParseCallback({ headers: receiver.hits[0].headers, rawBody: receiver.hits[0].raw });
    expect(v).toMatchObject({ ok: true, callback: { status: { state: 'final', outcome: { outcome: 'failed', errorKind: 'moderation', errorMessage: expect.stringContaining('flagged') } } } });
  });

  it('accept_then_fail: a server error outcome, on the callback and on the poll', async () => {
    const accepted = await submit('boom [fal:accept_then_fail]');
    expect(await pollUntilFinal(accepted.handle)).toMatchObject({ state: 'final', outcome: { outcome: 'failed', errorKind: 'server_error' } });
    await waitFor(() => receiver.hits.length === 1, 'callback');
    const v = await adapter.verifyAndParseCallback({ headers: receiver.hits[0].headers, rawBody: receiver.hits[0].raw });
    expect(v).toMatchObject({ ok: true, callback: { status: { outcome: { outcome: 'failed', errorKind: 'server_error' } } } });
  });

  it.each([
    ['down', 'down', true],
    ['rate_limited', 'rate_limited', true],
    ['bad_request', 'input_rejected', true], // the provider refused the input: the next model may take it
    ['garbage', 'garbage', true],
  ])('submit fault %s → %s (retryable %s)', async (fault, kind, retryable) => {
    const e = await failureOf(submit(`x [fal:${fault}]`));
    expect(e).toMatchObject({ kind, retryable });
  });

  it('a slow answer beyond the HTTP timeout → timeout', async () => {
    adapter = new FalAdapter({ baseUrl: fal.url, apiKey: fal.apiKey, jwksUrl: fal.jwksUrl }, { ...TEST_DEPS, httpTimeoutMs: 100 });
    expect(await failureOf(submit('x [fal:slow=600]'))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('a wrong key is not the customer’s fault: down (retryable)', async () => {
    adapter = new FalAdapter({ baseUrl: fal.url, apiKey: 'nope', jwksUrl: fal.jwksUrl }, TEST_DEPS);
    expect(await failureOf(submit('x'))).toMatchObject({ kind: 'down', retryable: true, message: expect.stringContaining('credentials') });
  });

  it('cancel: CANCELLATION_REQUESTED, then already finished', async () => {
    const accepted = await submit('cancel me');
    expect(await adapter.cancel(accepted.handle)).toEqual({ result: 'cancelled' });
    expect(await adapter.cancel(accepted.handle)).toEqual({ result: 'already_finished' });
    expect(await pollUntilFinal(accepted.handle)).toMatchObject({ state: 'final', outcome: { outcome: 'cancelled' } });
  });

  it('refuses model ids that could escape the path', () => {
    expect(() => adapter.normalise({ prompt: 'x' }, { api: 'video', providerModelId: '../admin' })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
  });
});
