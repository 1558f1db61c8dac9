import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseCancelAfter, REPLICATE_MODERATION_ERROR, startReplicateSandbox } from '.';
import { call, fetchBytes, sleep, startReceiver, startsWithFtyp, waitFor, type Hit, type Receiver } from '../testing/helpers';
import type { FaultName, RunningReplicateSandbox } from '../types';

const D = 60;
const MODEL = 'google/veo-3.1';

let rep: RunningReplicateSandbox;
let receivers: Receiver[] = [];

beforeEach(async () => {
  rep = await startReplicateSandbox({ jobDurationMs: D, callbackRetryDelayMs: 20 });
});
afterEach(async () => {
  await rep?.close();
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

const auth = () => `Bearer ${rep.apiKey}`;
async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}
function create(prompt: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, model = MODEL) {
  return call(`${rep.url}/v1/models/${model}/predictions`, { auth: auth(), body: { input: { prompt, duration: 5 }, ...extra }, headers });
}
const get = (id: string) => call(`${rep.url}/v1/predictions/${id}`, { auth: auth() });
const terminal = (id: string) =>
  waitFor(async () => {
    const p = await get(id);
    return ['succeeded', 'failed', 'canceled', 'aborted'].includes(p.json.status) ? p.json : undefined;
  }, 'terminal status');

/** Standard Webhooks verification with the secret fetched from the API, as the receiver does it. */
async function verifyReplicate(hit: Hit): Promise<boolean> {
  const secret = (await call(`${rep.url}/v1/webhooks/default/secret`, { auth: auth() })).json.key as string;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = String(hit.headers['webhook-id']);
  const ts = String(hit.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${hit.raw}`).digest();
  return String(hit.headers['webhook-signature'])
    .split(' ')
    .some((s) => {
      const [v, b64] = s.split(',');
      const got = Buffer.from(b64 ?? '', 'base64');
      return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
    });
}

describe('replicate sandbox — happy path', () => {
  it('create → get → succeeded with MP4 output → signed completed webhook', async () => {
    const r = await receiver();
    const res = await create('a cat', { webhook: r.url, webhook_events_filter: ['completed'] });
    expect(res.status).toBe(201);
    const p = res.json;
    expect(p).toMatchObject({ model: MODEL, status: 'starting', input: { prompt: 'a cat', duration: 5 }, output: null, error: null });
    expect(p.id).toMatch(/^[a-z2-7]{26}$/);
    expect(p.version).toMatch(/^[0-9a-f]{64}$/);
    expect(p.urls).toMatchObject({ get: `${rep.url}/v1/predictions/${p.id}`, cancel: `${rep.url}/v1/predictions/${p.id}/cancel` });
    for (const k of ['logs', 'metrics', 'created_at', 'started_at', 'completed_at']) expect(p).toHaveProperty(k);

    const done = await terminal(p.id);
    expect(done.status).toBe('succeeded');
    expect(typeof done.output).toBe('string');
    expect(done.started_at).not.toBeNull();
    expect(done.completed_at).not.toBeNull();
    expect(typeof done.metrics.predict_time).toBe('number');

    const mp4 = await fetchBytes(done.output);
    expect(mp4.status).toBe(200);
    expect(mp4.contentType).toBe('video/mp4');
    expect(startsWithFtyp(mp4.buf)).toBe(true);

    await waitFor(() => r.hits.length === 1, 'webhook');
    const hit = r.hits[0];
    expect(hit.json).toMatchObject({ id: p.id, status: 'succeeded', output: done.output });
    expect(hit.headers['webhook-id']).toMatch(/^msg_/);
    expect(hit.headers['webhook-signature']).toMatch(/^v1,/);
    expect(await verifyReplicate(hit)).toBe(true);
    expect(rep.webhookSecret).toMatch(/^whsec_/);
  });

  it('POST /v1/predictions with a version; start + completed events when asked', async () => {
    const r = await receiver();
    const res = await call(`${rep.url}/v1/predictions`, {
      auth: auth(),
      body: { version: 'kwaivgi/kling-v2.1:' + 'a'.repeat(64), input: { prompt: 'v' }, webhook: r.url, webhook_events_filter: ['start', 'completed'] },
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ model: 'kwaivgi/kling-v2.1', version: 'a'.repeat(64) });
    await waitFor(() => r.hits.length === 2, 'start + completed');
    expect(r.hits.map((h) => h.json.status)).toEqual(['starting', 'succeeded']);
    expect(r.hits[0].headers['webhook-id']).not.toBe(r.hits[1].headers['webhook-id']);
    expect(await verifyReplicate(r.hits[0])).toBe(true);
  });

  it('retries a refused webhook with the same webhook-id', async () => {
    const r = await receiver((i) => (i === 0 ? 500 : 204));
    await create('retry', { webhook: r.url, webhook_events_filter: ['completed'] });
    await waitFor(() => r.hits.length === 2, 'retry');
    expect(r.hits[0].headers['webhook-id']).toBe(r.hits[1].headers['webhook-id']);
    expect(await verifyReplicate(r.hits[1])).toBe(true);
    await sleep(80);
    expect(r.hits).toHaveLength(2);
  });

  it('cancel → canceled (and a completed webhook)', async () => {
    const r = await receiver();
    const res = await create('cancel me', { webhook: r.url, webhook_events_filter: ['completed'] });
    const c = await call(res.json.urls.cancel, { method: 'POST', auth: auth() });
    expect(c.status).toBe(200);
    expect(c.json.status).toBe('canceled');
    await waitFor(() => r.hits.length === 1, 'webhook');
    expect(r.hits[0].json.status).toBe('canceled');
    await sleep(D + 20);
    expect((await get(res.json.id)).json.status).toBe('canceled');
  });

  it('Cancel-After: before start → aborted, while running → canceled', async () => {
    const early = await create('deadline early', {}, { 'cancel-after': '1ms' });
    expect((await terminal(early.json.id)).status).toBe('aborted');
    const mid = await create('deadline mid', {}, { 'cancel-after': `${Math.floor(D * 0.66)}ms` });
    expect((await terminal(mid.json.id)).status).toBe('canceled');
    const late = await create('deadline late', {}, { 'cancel-after': '10m' });
    expect((await terminal(late.json.id)).status).toBe('succeeded');
    expect((await create('bad', {}, { 'cancel-after': 'soon' })).status).toBe(400);
  });

  it('parseCancelAfter', () => {
    expect(parseCancelAfter('10m')).toBe(600_000);
    expect(parseCancelAfter('1h30m')).toBe(5_400_000);
    expect(parseCancelAfter('45s')).toBe(45_000);
    expect(parseCancelAfter('250ms')).toBe(250);
    expect(parseCancelAfter('30')).toBe(30_000);
    expect(parseCancelAfter('x')).toBeUndefined();
  });

  it('wrong / missing key → 401 problem', async () => {
    const wrong = await call(`${rep.url}/v1/models/${MODEL}/predictions`, { auth: 'Bearer nope', body: { input: { prompt: 'x' } } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ title: 'Unauthenticated', status: 401 });
    expect(typeof wrong.json.detail).toBe('string');
    expect((await call(`${rep.url}/v1/webhooks/default/secret`)).status).toBe(401);
  });

  it('validation → 422; unknown prediction → 404', async () => {
    const res = await call(`${rep.url}/v1/models/${MODEL}/predictions`, { auth: auth(), body: { prompt: 'no input wrapper' } });
    expect(res.status).toBe(422);
    expect(res.json.status).toBe(422);
    expect((await get('doesnotexist')).status).toBe(404);
  });
});

const FAULTS: FaultName[] = [
  'down',
  'rate_limited',
  'bad_request',
  'garbage',
  'slow',
  'moderation',
  'accept_then_fail',
  'never_callback',
  'bad_signature',
  'duplicate_callback',
];

describe.each(['marker', 'control'] as const)('replicate faults via %s', (via) => {
  async function arm(fault: FaultName): Promise<string> {
    if (via === 'marker') return `a fox ${fault === 'slow' ? '[replicate:slow=30]' : `[replicate:${fault}]`}`;
    const res = await call(`${rep.url}/__sandbox/faults`, { body: { fault, times: 1, ...(fault === 'slow' ? { delayMs: 30 } : {}) } });
    expect(res.status).toBe(200);
    return 'a fox';
  }

  it.each(FAULTS)('%s', async (fault) => {
    const r = await receiver();
    const res = await create(await arm(fault), { webhook: r.url, webhook_events_filter: ['completed'] });
    expect(rep.requests().find((e) => e.operation === 'submit')?.fault).toBe(fault);
    switch (fault) {
      case 'down':
        expect(res.status).toBe(503);
        break;
      case 'rate_limited':
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.json.status).toBe(429);
        break;
      case 'bad_request':
        expect(res.status).toBe(422);
        expect(res.json.title).toBeDefined();
        break;
      case 'garbage':
        expect(res.status).toBe(200);
        expect(res.json).toBeUndefined();
        break;
      case 'slow':
        expect(res.status).toBe(201);
        expect((await terminal(res.json.id)).status).toBe('succeeded');
        break;
      case 'moderation': {
        expect(res.status).toBe(201);
        const done = await terminal(res.json.id);
        expect(done).toMatchObject({ status: 'failed', error: REPLICATE_MODERATION_ERROR, output: null });
        await waitFor(() => r.hits.length === 1, 'webhook');
        expect(r.hits[0].json.status).toBe('failed');
        break;
      }
      case 'accept_then_fail': {
        expect(res.status).toBe(201);
        const done = await terminal(res.json.id);
        expect(done.status).toBe('failed');
        expect(typeof done.error).toBe('string');
        await waitFor(() => r.hits.length === 1, 'webhook');
        expect(await verifyReplicate(r.hits[0])).toBe(true);
        break;
      }
      case 'never_callback':
        expect((await terminal(res.json.id)).status).toBe('succeeded');
        await sleep(100);
        expect(r.hits).toHaveLength(0);
        break;
      case 'bad_signature':
        await waitFor(() => r.hits.length === 1, 'webhook');
        expect(r.hits[0].json.status).toBe('succeeded');
        expect(await verifyReplicate(r.hits[0])).toBe(false);
        break;
      case 'duplicate_callback':
        await waitFor(() => r.hits.length === 2, 'two webhooks');
        expect(r.hits[0].headers['webhook-id']).toBe(r.hits[1].headers['webhook-id']);
        expect(r.hits[0].raw).toBe(r.hits[1].raw);
        expect(await verifyReplicate(r.hits[0])).toBe(true);
        expect(await verifyReplicate(r.hits[1])).toBe(true);
        break;
    }
  });
});

describe('replicate control endpoint', () => {
  it('modelId-scoped rule, times, clear, log', async () => {
    rep.setFault({ fault: 'down', modelId: 'minimax/video-01', times: 2 });
    expect((await create('ok')).status).toBe(201);
    expect((await create('x', {}, {}, 'minimax/video-01')).status).toBe(503);
    expect((await create('x', {}, {}, 'minimax/video-01')).status).toBe(503);
    expect((await create('x', {}, {}, 'minimax/video-01')).status).toBe(201);
    await call(`${rep.url}/__sandbox/faults`, { body: { fault: 'rate_limited' } });
    expect((await create('y')).status).toBe(429);
    await call(`${rep.url}/__sandbox/faults`, { method: 'DELETE' });
    expect((await create('y')).status).toBe(201);
    const log = (await call(`${rep.url}/__sandbox/requests`)).json;
    expect(log.filter((e: any) => e.operation === 'submit').map((e: any) => e.status)).toEqual([201, 503, 503, 201, 429, 201]);
  });
});
