import { GATEWAY_MODERATION_ERROR, startVercelGatewaySandbox } from '.';
import { call, fetchBytes, sleep, startsWithFtyp, waitFor } from '../testing/helpers';
import type { FaultName, RunningVercelGatewaySandbox } from '../types';

const D = 60;
const MODEL = 'google/veo-3.1-generate-001';

let gw: RunningVercelGatewaySandbox;
beforeEach(async () => {
  gw = await startVercelGatewaySandbox({ jobDurationMs: D });
});
afterEach(async () => {
  await gw?.close();
});

const base = () => `${gw.url}/v3/ai`;
const headers = (extra: Record<string, string> = {}) => ({
  'ai-model-id': MODEL,
  'ai-video-model-specification-version': '4',
  ...extra,
});
function start(prompt: string, extra: Record<string, string> = {}, model = MODEL) {
  return call(`${base()}/video-model/start`, {
    auth: `Bearer ${gw.apiKey}`,
    headers: headers({ 'ai-model-id': model, ...extra }),
    body: { prompt, n: 1, aspectRatio: '16:9', duration: 5 },
  });
}
const status = (operation: unknown) =>
  call(`${base()}/video-model/status`, { auth: `Bearer ${gw.apiKey}`, headers: headers(), body: { operation } });
const settled = (operation: unknown) =>
  waitFor(async () => {
    const s = await status(operation);
    return s.json.status !== 'pending' ? s.json : undefined;
  }, 'non-pending status');

describe('vercel gateway sandbox — async (doStart / doStatus)', () => {
  it('start → pending → completed with a video URL that serves a real MP4', async () => {
    const res = await start('a koi pond', { 'idempotency-key': 'aisdk_vid_1' });
    expect(res.status).toBe(200);
    expect(res.json.operation).toEqual({ gatewayJobId: expect.stringMatching(/^job_/) });
    expect(res.json.warnings).toEqual([]);
    expect(res.json.providerMetadata.gateway.asyncJob.jobId).toBe(res.json.operation.gatewayJobId);

    const first = await status(res.json.operation);
    expect(first.status).toBe(200);
    expect(['pending', 'completed']).toContain(first.json.status);

    const done = await settled(res.json.operation);
    expect(done.status).toBe('completed');
    expect(done.videos).toEqual([{ type: 'url', url: expect.any(String), mediaType: 'video/mp4' }]);
    const mp4 = await fetchBytes(done.videos[0].url);
    expect(mp4.contentType).toBe('video/mp4');
    expect(startsWithFtyp(mp4.buf)).toBe(true);

    const log = gw.requests();
    expect(log.find((e) => e.operation === 'submit')).toMatchObject({ path: '/v3/ai/video-model/start', modelId: MODEL });
  });

  it('de-duplicates starts by idempotency-key', async () => {
    const a = await start('same', { 'idempotency-key': 'k-1' });
    const b = await start('same', { 'idempotency-key': 'k-1' });
    const c = await start('same', { 'idempotency-key': 'k-2' });
    const d = await start('same');
    expect(b.json.operation).toEqual(a.json.operation);
    expect(c.json.operation).not.toEqual(a.json.operation);
    expect(d.json.operation).not.toEqual(a.json.operation);
  });

  it('n videos', async () => {
    const res = await call(`${base()}/video-model/start`, { auth: `Bearer ${gw.apiKey}`, headers: headers(), body: { prompt: 'two', n: 2 } });
    const done = await settled(res.json.operation);
    expect(done.videos).toHaveLength(2);
  });

  it('errors: 401 shape, missing model header, unknown operation, bad body', async () => {
    const unauth = await call(`${base()}/video-model/start`, { auth: 'Bearer nope', headers: headers(), body: { prompt: 'x' } });
    expect(unauth.status).toBe(401);
    expect(unauth.json.error).toMatchObject({ type: 'authentication_error', message: expect.any(String) });
    const noModel = await call(`${base()}/video-model/start`, { auth: `Bearer ${gw.apiKey}`, body: { prompt: 'x' } });
    expect(noModel.status).toBe(400);
    expect(noModel.json.error.type).toBe('invalid_request_error');
    expect((await status({ gatewayJobId: 'job_nope' })).status).toBe(404);
    expect((await status(undefined)).status).toBe(400);
    const noPrompt = await call(`${base()}/video-model/start`, { auth: `Bearer ${gw.apiKey}`, headers: headers(), body: { n: 1 } });
    expect(noPrompt.status).toBe(400);
  });
});

describe('vercel gateway sandbox — sync SSE (doGenerate)', () => {
  it('answers one result data event', async () => {
    const res = await call(`${base()}/video-model`, {
      auth: `Bearer ${gw.apiKey}`,
      headers: headers({ accept: 'text/event-stream' }),
      body: { prompt: 'sync', n: 1 },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const m = /^data: (.+)\n\n$/.exec(res.text);
    expect(m).not.toBeNull();
    const event = JSON.parse(m![1]);
    expect(event).toMatchObject({ type: 'result', videos: [{ type: 'url', mediaType: 'video/mp4' }] });
  });

  it('moderation → error event', async () => {
    const res = await call(`${base()}/video-model`, { auth: `Bearer ${gw.apiKey}`, headers: headers(), body: { prompt: 'x [vercel-gateway:moderation]' } });
    const event = JSON.parse(res.text.replace(/^data: /, ''));
    expect(event).toMatchObject({ type: 'error', message: GATEWAY_MODERATION_ERROR, statusCode: 400, param: null });
    expect(typeof event.errorType).toBe('string');
  });
});

const FAULTS: FaultName[] = ['down', 'rate_limited', 'bad_request', 'garbage', 'slow', 'moderation', 'accept_then_fail', 'never_callback'];

describe.each(['marker', 'control'] as const)('vercel gateway faults via %s', (via) => {
  async function arm(fault: FaultName): Promise<string> {
    if (via === 'marker') return `a heron ${fault === 'slow' ? '[vercel-gateway:slow=30]' : `[vercel-gateway:${fault}]`}`;
    const res = await call(`${gw.url}/__sandbox/faults`, { body: { fault, times: 1, ...(fault === 'slow' ? { delayMs: 30 } : {}) } });
    expect(res.status).toBe(200);
    return 'a heron';
  }

  it.each(FAULTS)('%s', async (fault) => {
    const res = await start(await arm(fault));
    expect(gw.requests().find((e) => e.operation === 'submit')?.fault).toBe(fault);
    switch (fault) {
      case 'down':
        expect(res.status).toBe(503);
        expect(res.json.error.type).toBe('internal_server_error');
        break;
      case 'rate_limited':
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.json.error.type).toBe('rate_limit_exceeded');
        break;
      case 'bad_request':
        expect(res.status).toBe(400);
        expect(res.json.error.type).toBe('invalid_request_error');
        break;
      case 'garbage':
        expect(res.status).toBe(200);
        expect(res.json).toBeUndefined();
        break;
      case 'slow':
        expect(res.status).toBe(200);
        expect((await settled(res.json.operation)).status).toBe('completed');
        break;
      case 'moderation':
        expect(await settled(res.json.operation)).toMatchObject({ status: 'error', error: GATEWAY_MODERATION_ERROR });
        break;
      case 'accept_then_fail': {
        const s = await settled(res.json.operation);
        expect(s.status).toBe('error');
        expect(typeof s.error).toBe('string');
        break;
      }
      case 'never_callback':
        await sleep(D * 3);
        expect((await status(res.json.operation)).json.status).toBe('pending');
        break;
    }
  });
});

describe('vercel gateway control endpoint', () => {
  it('modelId-scoped rules and clearing', async () => {
    gw.setFault({ fault: 'down', modelId: 'klingai/kling-v2.6' });
    expect((await start('a')).status).toBe(200);
    expect((await start('b', {}, 'klingai/kling-v2.6')).status).toBe(503);
    gw.clearFaults();
    expect((await start('c', {}, 'klingai/kling-v2.6')).status).toBe(200);
    expect((await call(`${gw.url}/__sandbox/requests`)).json.length).toBe(3);
  });
});
