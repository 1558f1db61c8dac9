import { startReplicateSandbox, REPLICATE_MODERATION_ERROR, type RunningReplicateSandbox } from '@pipevideo/sandboxes';
import { Webhook } from 'standardwebhooks';
import { failureOf, startReceiver, TEST_DEPS, waitFor, type Receiver } from '../../../test/support/receiver';
import type { JobStatus } from '../provider-adapter';
import { ReplicateAdapter } from './replicate.adapter';

const MODEL = 'google/veo-3.1';

describe('Replicate adapter against the Replicate sandbox', () => {
  let rep: RunningReplicateSandbox;
  let receiver: Receiver;
  let adapter: ReplicateAdapter;
  const make = (over: { webhookSecret?: string; apiKey?: string; baseUrl?: string; httpTimeoutMs?: number } = {}) =>
    new ReplicateAdapter(
      { baseUrl: over.baseUrl ?? `${rep.url}/v1`, apiKey: over.apiKey ?? rep.apiKey, webhookSecret: over.webhookSecret },
      { ...TEST_DEPS, httpTimeoutMs: over.httpTimeoutMs ?? TEST_DEPS.httpTimeoutMs },
    );

  beforeAll(async () => {
    rep = await startReplicateSandbox({ jobDurationMs: 120, callbackRetryDelayMs: 20 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await rep.close();
    await receiver.close();
  });
  beforeEach(() => {
    rep.clearFaults();
    receiver.hits.length = 0;
    adapter = make();
  });

  const submit = (prompt: string, opts: { deadlineSeconds?: number; model?: string } = {}) =>
    adapter.submit({
      jobRef: 'job-1',
      callbackUrl: `${receiver.url}/callbacks/replicate/job-1`,
      providerModelId: opts.model ?? MODEL,
      api: 'video',
      input: adapter.normalise({ prompt, ...(opts.model ? {} : { duration: 6 }) }, { api: 'video', providerModelId: opts.model ?? MODEL }),
      deadlineSeconds: opts.deadlineSeconds,
      idempotencyKey: 'g:1',
    });
  const callback = async (i = 0) => {
    await waitFor(() => receiver.hits.length > i, 'webhook');
    return adapter.verifyAndParseCallback({ headers: receiver.hits[i].headers, rawBody: receiver.hits[i].raw });
  };

  it('creates a prediction with a completed-only webhook; the webhook verifies with the fetched secret', async () => {
    const accepted = await submit('a cat');
    expect(accepted.providerJobId).toMatch(/^[a-z0-9]{26}$/);
    const v = await callback();
    expect(v).toEqual({
      ok: true,
      callback: {
        deliveryId: expect.stringMatching(/^msg_/),
        providerJobId: accepted.providerJobId,
        status: { state: 'final', outcome: { outcome: 'succeeded', outputUrl: `${rep.url}/files/${accepted.providerJobId}.mp4` } },
      },
    });
    expect(receiver.hits).toHaveLength(1); // no `start` event: filter = completed
    expect(rep.requests().filter((r) => r.operation === 'secret')).toHaveLength(1);
    expect(await adapter.poll(accepted.handle)).toMatchObject({ state: 'final', outcome: { outcome: 'succeeded' } });
  });

  it('a configured secret is used without fetching; a wrong one refuses the webhook', async () => {
    adapter = make({ webhookSecret: rep.webhookSecret });
    await submit('configured');
    expect(await callback()).toMatchObject({ ok: true });
    expect(rep.requests().filter((r) => r.operation === 'secret')).toHaveLength(1); // only the earlier test's fetch

    receiver.hits.length = 0;
    adapter = make({ webhookSecret: 'whsec_' + Buffer.from('another secret entirely').toString('base64') });
    await submit('configured wrong');
    expect(await callback()).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a webhook signed with another secret (bad_signature fault), forged and expired messages', async () => {
    await submit('x [replicate:bad_signature]');
    expect(await callback()).toMatchObject({ ok: false, reason: 'bad_signature' });

    const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: 'https://x/y.mp4' });
    const wh = new Webhook(rep.webhookSecret);
    const old = new Date(Date.now() - 301_000);
    const expired = { 'webhook-id': 'msg_old', 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': wh.sign('msg_old', old, body) };
    expect(await adapter.verifyAndParseCallback({ headers: expired, rawBody: Buffer.from(body) })).toMatchObject({ ok: false, reason: 'expired' });
    const now = new Date();
    const good = { 'webhook-id': 'msg_now', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign('msg_now', now, body) };
    expect(await adapter.verifyAndParseCallback({ headers: good, rawBody: Buffer.from(body) })).toMatchObject({ ok: true, callback: { deliveryId: 'msg_now' } });
    const forged = Buffer.from(body.replace('succeeded', 'failed'));
    expect(await adapter.verifyAndParseCallback({ headers: good, rawBody: forged })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('secret unobtainable (API unreachable, nothing configured) → keys_unavailable', async () => {
    adapter = make({ baseUrl: 'http://127.0.0.1:9/v1', httpTimeoutMs: 500 });
    const body = '{"id":"p1","status":"succeeded"}';
    const now = new Date();
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(rep.webhookSecret).sign('msg_1', now, body) };
    expect(await adapter.verifyAndParseCallback({ headers, rawBody: Buffer.from(body) })).toMatchObject({ ok: false, reason: 'keys_unavailable' });
  });

  it('duplicate_callback: the same webhook-id twice', async () => {
    await submit('x [replicate:duplicate_callback]');
    await waitFor(() => receiver.hits.length === 2, 'two deliveries');
    const [a, b] = [await callback(0), await callback(1)];
    expect(a).toMatchObject({ ok: true });
    expect(b).toMatchObject({ ok: true });
    if (a.ok && b.ok) expect(a.callback.deliveryId).toBe(b.callback.deliveryId);
  });

  it('moderation (E005) → failed/moderation; accept_then_fail → failed/server_error', async () => {
    await submit('x [replicate:moderation]');
    expect(await callback()).toMatchObject({ ok: true, callback: { status: { outcome: { outcome: 'failed', errorKind: 'moderation', errorMessage: REPLICATE_MODERATION_ERROR } } } });
    receiver.hits.length = 0;
    await submit('x [replicate:accept_then_fail]');
    expect(await callback()).toMatchObject({ ok: true, callback: { status: { outcome: { outcome: 'failed', errorKind: 'server_error' } } } });
  });

  it('Cancel-After carries our deadline: Replicate cancels the prediction when it passes', async () => {
    const slow = await startReplicateSandbox({ jobDurationMs: 5000 });
    try {
      adapter = new ReplicateAdapter({ baseUrl: `${slow.url}/v1`, apiKey: slow.apiKey }, TEST_DEPS);
      const accepted = await adapter.submit({ jobRef: 'j', providerModelId: MODEL, api: 'video', input: { prompt: 'x' }, deadlineSeconds: 1, idempotencyKey: 'g:1' });
      let s: JobStatus = { state: 'running' };
      await waitFor(async () => (s = await adapter.poll(accepted.handle)).state === 'final', 'deadline', 4000);
      // Reached before the run started → `aborted` (not charged), which we report as a failed timeout.
      expect(s).toMatchObject({ state: 'final', outcome: { outcome: 'failed', errorKind: 'timeout', errorMessage: expect.stringContaining('aborted') } });
    } finally {
      await slow.close();
    }
  });

  it.each([
    ['down', 'down', true],
    ['rate_limited', 'rate_limited', true],
    ['bad_request', 'input_rejected', true], // the provider refused the input: the next model may take it
    ['garbage', 'garbage', true],
  ])('submit fault %s → %s (retryable %s)', async (fault, kind, retryable) => {
    expect(await failureOf(submit(`x [replicate:${fault}]`))).toMatchObject({ kind, retryable });
  });

  it('cancel → cancelled; versioned model ids use POST /predictions', async () => {
    const accepted = await submit('to cancel', { model: 'acme/thing:abc123' });
    expect(rep.requests().some((r) => r.path === '/v1/predictions' && r.operation === 'submit')).toBe(true);
    expect(await adapter.cancel(accepted.handle)).toEqual({ result: 'cancelled' });
    expect(await adapter.poll(accepted.handle)).toMatchObject({ state: 'final', outcome: { outcome: 'cancelled' } });
  });
});
