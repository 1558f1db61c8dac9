import { createHash, createPublicKey, verify } from 'node:crypto';
import { startFalSandbox } from '.';
import { call, fetchBytes, sleep, startReceiver, startsWithFtyp, waitFor, type Hit, type Receiver } from '../testing/helpers';
import type { FaultName, RunningFalSandbox } from '../types';

const D = 60;
const MODEL = 'fal-ai/kling-video/v3/pro/text-to-video';
const APP = 'fal-ai/kling-video';

let fal: RunningFalSandbox;
let receivers: Receiver[] = [];

beforeEach(async () => {
  fal = await startFalSandbox({ jobDurationMs: D, callbackRetryDelayMs: 20 });
});
afterEach(async () => {
  await fal.close();
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

const auth = () => `Key ${fal.apiKey}`;
async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}
function submit(prompt: string, webhook?: string, model = MODEL) {
  const q = webhook ? `?fal_webhook=${encodeURIComponent(webhook)}` : '';
  return call(`${fal.url}/${model}${q}`, { auth: auth(), body: { prompt, duration: 5, aspect_ratio: '16:9' } });
}
const get = (url: string) => call(url, { auth: auth() });

/** Verifies a fal callback exactly the way a receiver must: JWKS + ED25519 over the four lines. */
async function verifyFal(hit: Hit): Promise<boolean> {
  const jwks = await call(fal.jwksUrl);
  const h = hit.headers;
  const msg = Buffer.from(
    [h['x-fal-webhook-request-id'], h['x-fal-webhook-user-id'], h['x-fal-webhook-timestamp'], createHash('sha256').update(hit.raw).digest('hex')].join('\n'),
    'utf8',
  );
  const sig = Buffer.from(String(h['x-fal-webhook-signature']), 'hex');
  return (jwks.json.keys as any[]).some((jwk) => verify(null, msg, createPublicKey({ key: jwk, format: 'jwk' }), sig));
}

describe('fal sandbox — happy path', () => {
  it('submit → status → result → signed callback, URLs on the app id, real MP4', async () => {
    const r = await receiver();
    const sub = await submit('a cat on a beach', r.url);
    expect(sub.status).toBe(200);
    const id = sub.json.request_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sub.json).toMatchObject({
      status: 'IN_QUEUE',
      gateway_request_id: id,
      response_url: `${fal.url}/${APP}/requests/${id}`,
      status_url: `${fal.url}/${APP}/requests/${id}/status`,
      cancel_url: `${fal.url}/${APP}/requests/${id}/cancel`,
    });

    const early = await get(sub.json.status_url);
    expect(early.status).toBe(200);
    expect(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']).toContain(early.json.status);
    expect(early.json.response_url).toBe(sub.json.response_url);

    await waitFor(async () => (await get(`${sub.json.status_url}?logs=1`)).json.status === 'COMPLETED', 'COMPLETED');
    const result = await get(sub.json.response_url);
    expect(result.status).toBe(200);
    expect(result.json.video).toMatchObject({ content_type: 'video/mp4', file_name: `${id}.mp4` });
    expect(typeof result.json.seed).toBe('number');

    const mp4 = await fetchBytes(result.json.video.url);
    expect(mp4.status).toBe(200);
    expect(mp4.contentType).toBe('video/mp4');
    expect(startsWithFtyp(mp4.buf)).toBe(true);
    expect(mp4.buf.length).toBe(result.json.video.file_size);

    await waitFor(() => r.hits.length === 1, 'callback');
    const hit = r.hits[0];
    expect(hit.json).toEqual({ request_id: id, gateway_request_id: id, status: 'OK', payload: result.json });
    expect(hit.headers['x-fal-webhook-request-id']).toBe(id);
    expect(hit.headers['x-fal-webhook-user-id']).toBe(fal.userId);
    expect(Math.abs(Number(hit.headers['x-fal-webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
    expect(await verifyFal(hit)).toBe(true);

    const ops = fal.requests().map((e) => e.operation);
    expect(ops).toEqual(expect.arrayContaining(['submit', 'status', 'result', 'file', 'callback']));
    expect(fal.requests().find((e) => e.operation === 'submit')).toMatchObject({ method: 'POST', path: `/${MODEL}`, modelId: MODEL, jobId: id });
  });

  it('serves the JWKS as OKP/Ed25519 at jwksUrl', async () => {
    expect(fal.jwksUrl).toBe(`${fal.url}/.well-known/jwks.json`);
    const jwks = await call(fal.jwksUrl);
    expect(jwks.status).toBe(200);
    expect(jwks.json.keys).toHaveLength(1);
    expect(jwks.json.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(typeof jwks.json.keys[0].x).toBe('string');
    expect(typeof jwks.json.keys[0].kid).toBe('string');
  });

  it('retries a callback the receiver refused', async () => {
    const r = await receiver((i) => (i === 0 ? 500 : 200));
    const sub = await submit('retry me', r.url);
    await waitFor(() => r.hits.length === 2, 'second delivery');
    expect(r.hits[1].json.request_id).toBe(sub.json.request_id);
    expect(await verifyFal(r.hits[1])).toBe(true);
    await sleep(80);
    expect(r.hits).toHaveLength(2);
  });

  it('gives up after 3 attempts', async () => {
    const r = await receiver(() => 503);
    await submit('always refused', r.url);
    await waitFor(() => fal.requests().filter((e) => e.operation === 'callback').length === 3, '3 attempts');
    await sleep(80);
    expect(r.hits).toHaveLength(3);
  });

  it('cancel: CANCELLATION_REQUESTED, then ALREADY_COMPLETED; unknown → NOT_FOUND', async () => {
    const sub = await submit('cancel me');
    const c1 = await call(sub.json.cancel_url, { method: 'PUT', auth: auth() });
    expect(c1.status).toBe(202);
    expect(c1.json).toEqual({ status: 'CANCELLATION_REQUESTED' });
    const c2 = await call(sub.json.cancel_url, { method: 'PUT', auth: auth() });
    expect(c2.json).toEqual({ status: 'ALREADY_COMPLETED' });
    const st = await get(sub.json.status_url);
    expect(st.json.status).toBe('COMPLETED');
    const res = await get(sub.json.response_url);
    expect(res.status).toBe(400);
    const c3 = await call(`${fal.url}/${APP}/requests/00000000-0000-0000-0000-000000000000/cancel`, { method: 'PUT', auth: auth() });
    expect(c3.status).toBe(404);
    expect(c3.json).toEqual({ status: 'NOT_FOUND' });
  });

  it('result before completion → 400 still in progress; unknown id → 404', async () => {
    const sub = await submit('wait');
    const res = await get(sub.json.response_url);
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/in progress/);
    expect((await get(`${fal.url}/${APP}/requests/nope/status`)).status).toBe(404);
  });

  it('wrong or missing key → 401 with detail', async () => {
    const wrong = await call(`${fal.url}/${MODEL}`, { auth: 'Key nope', body: { prompt: 'x' } });
    expect(wrong.status).toBe(401);
    expect(typeof wrong.json.detail).toBe('string');
    const bearer = await call(`${fal.url}/${MODEL}`, { auth: `Bearer ${fal.apiKey}`, body: { prompt: 'x' } });
    expect(bearer.status).toBe(401);
    const none = await call(`${fal.url}/${MODEL}`, { body: { prompt: 'x' } });
    expect(none.status).toBe(401);
    expect(fal.requests().filter((e) => e.fault === 'unauthorized')).toHaveLength(3);
  });

  it('validates input: missing prompt → 422 detail list', async () => {
    const res = await call(`${fal.url}/${MODEL}`, { auth: auth(), body: { duration: 5 } });
    expect(res.status).toBe(422);
    expect(res.json.detail[0]).toMatchObject({ loc: ['body', 'prompt'], type: 'missing' });
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
  'jwks_down',
];

describe.each(['marker', 'control'] as const)('fal faults via %s', (via) => {
  /** Arms `fault` and returns the prompt to submit. */
  async function arm(fault: FaultName): Promise<string> {
    if (via === 'marker') return `a dog surfing ${fault === 'slow' ? '[fal:slow=30]' : `[fal:${fault}]`}`;
    const rule = { fault, times: 1, ...(fault === 'slow' ? { delayMs: 30 } : {}) };
    const res = await call(`${fal.url}/__sandbox/faults`, { body: rule });
    expect(res.status).toBe(200);
    return 'a dog surfing';
  }

  it.each(FAULTS)('%s', async (fault) => {
    // jwks_down: the receiver fetches the JWKS while handling the callback, like the real one does.
    const jwksSeen: number[] = [];
    const r = await receiver(async (_i, hit) => {
      if (fault !== 'jwks_down') return 200;
      const j = await call(fal.jwksUrl);
      jwksSeen.push(j.status);
      if (j.status !== 200) return 503;
      return (await verifyFal(hit)) ? 200 : 401;
    });
    if (fault === 'jwks_down' && via === 'control') {
      await arm(fault);
      expect((await call(fal.jwksUrl)).status).toBe(503);
      expect((await call(fal.jwksUrl)).status).toBe(200);
      expect(fal.requests().filter((e) => e.operation === 'jwks').map((e) => e.fault)).toEqual(['jwks_down', undefined]);
      return;
    }
    const prompt = await arm(fault);
    const sub = await submit(prompt, r.url);
    const logged = fal.requests().find((e) => e.operation === 'submit');
    expect(logged?.fault).toBe(fault);

    const done = async () => waitFor(async () => (await get(sub.json.status_url)).json.status === 'COMPLETED', 'COMPLETED');
    switch (fault) {
      case 'down':
        expect(sub.status).toBe(503);
        break;
      case 'rate_limited':
        expect(sub.status).toBe(429);
        expect(sub.headers.get('retry-after')).toBe('1');
        break;
      case 'bad_request':
        expect(sub.status).toBe(422);
        expect(Array.isArray(sub.json.detail)).toBe(true);
        break;
      case 'garbage':
        expect(sub.status).toBe(200);
        expect(sub.json).toBeUndefined();
        expect(() => JSON.parse(sub.text)).toThrow();
        break;
      case 'slow':
        expect(sub.status).toBe(200);
        await waitFor(() => r.hits.length === 1, 'callback');
        expect(r.hits[0].json.status).toBe('OK');
        break;
      case 'moderation': {
        expect(sub.status).toBe(200);
        await waitFor(() => r.hits.length === 1, 'callback');
        expect(r.hits[0].json).toMatchObject({ status: 'ERROR', error: 'Invalid status code: 422' });
        expect(r.hits[0].json.payload.detail[0].type).toBe('content_policy_violation');
        expect(await verifyFal(r.hits[0])).toBe(true);
        const res = await get(sub.json.response_url);
        expect(res.status).toBe(422);
        expect(res.json.detail[0]).toMatchObject({ type: 'content_policy_violation', loc: ['body', 'prompt'] });
        break;
      }
      case 'accept_then_fail': {
        expect(sub.status).toBe(200);
        await waitFor(() => r.hits.length === 1, 'callback');
        expect(r.hits[0].json.status).toBe('ERROR');
        const res = await get(sub.json.response_url);
        expect(res.status).toBe(500);
        expect(res.json.detail).toBeDefined();
        break;
      }
      case 'never_callback': {
        await done();
        expect((await get(sub.json.response_url)).status).toBe(200);
        await sleep(100);
        expect(r.hits).toHaveLength(0);
        break;
      }
      case 'bad_signature':
        await waitFor(() => r.hits.length === 1, 'callback');
        expect(r.hits[0].json.status).toBe('OK');
        expect(await verifyFal(r.hits[0])).toBe(false);
        break;
      case 'duplicate_callback':
        await waitFor(() => r.hits.length === 2, 'two callbacks');
        expect(r.hits[0].json.request_id).toBe(r.hits[1].json.request_id);
        expect(r.hits[0].raw).toBe(r.hits[1].raw);
        expect(await verifyFal(r.hits[0])).toBe(true);
        expect(await verifyFal(r.hits[1])).toBe(true);
        break;
      case 'jwks_down':
        await waitFor(() => r.hits.length === 3 && r.hits.every((h) => h.status > 0), 'all 3 attempts answered');
        expect(jwksSeen).toEqual([503, 503, 503]);
        expect(r.hits.map((h) => h.status)).toEqual([503, 503, 503]);
        await waitFor(async () => (await call(fal.jwksUrl)).status === 200, 'JWKS back up');
        break;
    }
  });
});

describe('fal control endpoint', () => {
  it('times, modelId scoping, clear, request log, validation', async () => {
    await call(`${fal.url}/__sandbox/faults`, { body: { fault: 'down', times: 1 } });
    expect((await submit('one')).status).toBe(503);
    expect((await submit('two')).status).toBe(200);

    await call(`${fal.url}/__sandbox/faults`, { body: { fault: 'rate_limited', modelId: 'fal-ai/veo3.1' } });
    expect((await submit('other model')).status).toBe(200);
    expect((await submit('veo', undefined, 'fal-ai/veo3.1')).status).toBe(429);
    expect((await submit('veo again', undefined, 'fal-ai/veo3.1')).status).toBe(429);
    expect((await call(`${fal.url}/__sandbox/faults`)).json.faults).toEqual([{ fault: 'rate_limited', modelId: 'fal-ai/veo3.1' }]);
    expect((await call(`${fal.url}/__sandbox/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await submit('veo ok', undefined, 'fal-ai/veo3.1')).status).toBe(200);

    const log = await call(`${fal.url}/__sandbox/requests`);
    expect(log.status).toBe(200);
    expect(log.json.filter((e: any) => e.operation === 'submit').map((e: any) => e.fault ?? null)).toEqual([
      'down',
      null,
      null,
      'rate_limited',
      'rate_limited',
      null,
    ]);
    expect(log.json).toEqual(fal.requests());

    expect((await call(`${fal.url}/__sandbox/faults`, { body: { fault: 'explode' } })).status).toBe(400);
    expect(() => fal.setFault({ fault: 'nope' as FaultName })).toThrow();
  });

  it('setFault / clearFaults methods', async () => {
    fal.setFault({ fault: 'down' });
    expect((await submit('a')).status).toBe(503);
    expect((await submit('b')).status).toBe(503);
    fal.clearFaults();
    expect((await submit('c')).status).toBe(200);
  });

  it('[any:…] markers apply; other sandboxes\' markers do not', async () => {
    expect((await submit('x [any:down]')).status).toBe(503);
    expect((await submit('x [replicate:down] [framerate:down]')).status).toBe(200);
  });
});
