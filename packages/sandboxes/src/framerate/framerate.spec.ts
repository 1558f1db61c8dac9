import { framerateUsageFor, startFramerateSandbox } from '.';
import { call, fetchBytes, sleep, startsWithFtyp, waitFor } from '../testing/helpers';
import type { FaultName, RunningFramerateSandbox } from '../types';

let fr: RunningFramerateSandbox;
beforeEach(async () => {
  fr = await startFramerateSandbox({ queueMs: 10, composeMs: 30, renderMs: 30 });
});
afterEach(async () => {
  await fr?.close();
});

const auth = () => `Bearer ${fr.apiKey}`;
function submit(body: Record<string, unknown>) {
  return call(`${fr.url}/v1/jobs`, { auth: auth(), body: { engine: 'hyperframes', model: 'moonshotai/kimi-k2.5', width: 1080, height: 1920, ...body } });
}
const get = (id: string) => call(`${fr.url}/v1/jobs/${id}`, { auth: auth() });
const settled = (id: string) =>
  waitFor(async () => {
    const j = (await get(id)).json;
    return ['completed', 'failed', 'cancelled', 'incomplete'].includes(j.status) ? j : undefined;
  }, 'terminal job');

describe('framerate sandbox', () => {
  it('hyperframes: queued → composing → rendering → completed, deterministic usage, real MP4', async () => {
    const input = 'A cat walking on a beach at sunset';
    const res = await submit({ input, instructions: 'Be bold.' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: expect.stringMatching(/^job_/), status: 'queued', engine: 'hyperframes', model: 'moonshotai/kimi-k2.5', usage: null, result: null, error: null, completed_at: null });
    expect(typeof res.json.created_at).toBe('number');

    const done = await settled(res.json.id);
    expect(done.status).toBe('completed');
    expect(done.usage).toEqual({ input_tokens: 100 + input.length + 'Be bold.'.length, output_tokens: 300 + 2 * (input.length + 'Be bold.'.length) });
    expect(done.usage).toEqual(framerateUsageFor(input, 'Be bold.'));
    expect(done.result).toEqual({ video_url: `${fr.url}/files/${res.json.id}.mp4` });
    expect(typeof done.completed_at).toBe('number');
    const mp4 = await fetchBytes(done.result.video_url);
    expect(mp4.contentType).toBe('video/mp4');
    expect(startsWithFtyp(mp4.buf)).toBe(true);
  });

  it('usage is set when composing ends (visible while rendering)', async () => {
    const slowRender = await startFramerateSandbox({ queueMs: 5, composeMs: 20, renderMs: 60_000 });
    try {
      const res = await call(`${slowRender.url}/v1/jobs`, { auth: `Bearer ${slowRender.apiKey}`, body: { engine: 'hyperframes', model: 'm', input: 'abc' } });
      const j = await waitFor(async () => {
        const x = (await call(`${slowRender.url}/v1/jobs/${res.json.id}`, { auth: `Bearer ${slowRender.apiKey}` })).json;
        return x.status === 'rendering' ? x : undefined;
      }, 'rendering');
      expect(j.usage).toEqual({ input_tokens: 103, output_tokens: 306 });
      expect(j.width).toBe(1080);
      expect(j.height).toBe(1920);
    } finally {
      await slowRender.close();
    }
  });

  it('lottie: artifact is a real Lottie JSON at the job size', async () => {
    const res = await submit({ engine: 'lottie', width: 640, height: 360, input: [{ role: 'user', content: [{ type: 'input_text', text: 'bouncing ball' }] }] });
    expect(res.status).toBe(201);
    const done = await settled(res.json.id);
    expect(done.status).toBe('completed');
    expect(done.usage).toEqual(framerateUsageFor([{ role: 'user', content: [{ type: 'input_text', text: 'bouncing ball' }] }]));
    expect(done.usage.input_tokens).toBe(100 + 'bouncing ball'.length);
    expect(done.result).toMatchObject({ artifact_media_type: 'application/json', artifact_url: `${fr.url}/files/${res.json.id}.lottie.json` });
    const lottie = await call(done.result.artifact_url);
    expect(lottie.status).toBe(200);
    expect(lottie.headers.get('content-type')).toBe('application/json');
    const l = lottie.json;
    expect(l).toMatchObject({ w: 640, h: 360, ip: 0 });
    expect(typeof l.v).toBe('string');
    expect(l.fr).toBeGreaterThan(0);
    expect(l.op).toBeGreaterThan(l.ip);
    expect(l.layers).toHaveLength(1);
    expect(l.layers[0].ty).toBe(4);
    expect(l.layers[0].ks.p.a).toBe(1);
    expect(startsWithFtyp((await fetchBytes(done.result.video_url)).buf)).toBe(true);
  });

  it('max_output_tokens: recorded on the job; reported output tokens never exceed it', async () => {
    const input = 'x'.repeat(1000); // uncapped: 300 + 2 × 1000 = 2300 output tokens
    const capped = await submit({ input, max_output_tokens: 500 });
    expect(capped.status).toBe(201);
    expect(capped.json.max_output_tokens).toBe(500);
    const done = await settled(capped.json.id);
    expect(done).toMatchObject({ status: 'completed', max_output_tokens: 500, usage: { input_tokens: 1100, output_tokens: 500 } });
    expect(done.usage).toEqual(framerateUsageFor(input, undefined, 500));
    // A cap above what the job writes changes nothing; no cap is recorded as null.
    expect((await settled((await submit({ input, max_output_tokens: 5000 })).json.id)).usage).toEqual({ input_tokens: 1100, output_tokens: 2300 });
    const uncapped = await submit({ input: 'abc' });
    expect(uncapped.json.max_output_tokens).toBeNull();
    for (const bad of [0, -5, 1.5, '100']) expect((await submit({ input, max_output_tokens: bad })).status).toBe(400);
  });

  it('cancel; cancel again → 409; unknown → 404', async () => {
    const res = await submit({ input: 'cancel me' });
    const c = await call(`${fr.url}/v1/jobs/${res.json.id}/cancel`, { method: 'POST', auth: auth() });
    expect(c.status).toBe(200);
    expect(c.json.status).toBe('cancelled');
    await sleep(100);
    expect((await get(res.json.id)).json.status).toBe('cancelled');
    const again = await call(`${fr.url}/v1/jobs/${res.json.id}/cancel`, { method: 'POST', auth: auth() });
    expect(again.status).toBe(409);
    expect((await get('job_nope')).status).toBe(404);
  });

  it('401 on wrong key; 400 on bad input', async () => {
    const res = await call(`${fr.url}/v1/jobs`, { auth: 'Bearer wrong', body: { engine: 'hyperframes', model: 'm', input: 'x' } });
    expect(res.status).toBe(401);
    expect(res.json.error).toEqual({ code: 'unauthorized', message: expect.any(String) });
    expect((await submit({ input: '' })).status).toBe(400);
    expect((await submit({ input: 'x', engine: 'blender' })).status).toBe(400);
    expect((await submit({ input: 'x', width: -1 })).status).toBe(400);
  });
});

const FAULTS: FaultName[] = ['down', 'rate_limited', 'bad_request', 'garbage', 'slow', 'moderation', 'accept_then_fail', 'never_callback', 'incomplete'];

describe.each(['marker', 'control'] as const)('framerate faults via %s', (via) => {
  async function arm(fault: FaultName): Promise<string> {
    if (via === 'marker') return `a logo ${fault === 'slow' ? '[framerate:slow=30]' : `[framerate:${fault}]`}`;
    const res = await call(`${fr.url}/__sandbox/faults`, { body: { fault, times: 1, ...(fault === 'slow' ? { delayMs: 30 } : {}) } });
    expect(res.status).toBe(200);
    return 'a logo';
  }

  it.each(FAULTS)('%s', async (fault) => {
    const input = await arm(fault);
    const res = await submit({ input });
    expect(fr.requests().find((e) => e.operation === 'submit')?.fault).toBe(fault);
    switch (fault) {
      case 'down':
        expect(res.status).toBe(503);
        break;
      case 'rate_limited':
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('1');
        break;
      case 'bad_request':
        expect(res.status).toBe(400);
        expect(res.json.error.code).toBe('invalid_request');
        break;
      case 'garbage':
        expect(res.status).toBe(200);
        expect(res.json).toBeUndefined();
        break;
      case 'slow':
        expect(res.status).toBe(201);
        expect((await settled(res.json.id)).status).toBe('completed');
        break;
      case 'moderation': {
        const j = await settled(res.json.id);
        expect(j).toMatchObject({ status: 'failed', usage: null, result: null, error: { code: 'content_policy_violation' } });
        break;
      }
      case 'accept_then_fail': {
        const j = await settled(res.json.id);
        expect(j).toMatchObject({ status: 'failed', result: null, error: { code: 'render_failed' } });
        expect(j.usage).toEqual(framerateUsageFor(input));
        break;
      }
      case 'never_callback': {
        const j = await waitFor(async () => {
          const x = (await get(res.json.id)).json;
          return x.status === 'rendering' ? x : undefined;
        }, 'rendering');
        expect(j.usage).toEqual(framerateUsageFor(input));
        await sleep(150);
        expect((await get(res.json.id)).json.status).toBe('rendering');
        break;
      }
      case 'incomplete': {
        const j = await settled(res.json.id);
        expect(j).toMatchObject({ status: 'incomplete', result: null, error: { code: 'incomplete' } });
        expect(j.usage).toEqual(framerateUsageFor(input));
        break;
      }
    }
  });
});

describe('framerate control endpoint', () => {
  it('rules scoped by model or engine', async () => {
    fr.setFault({ fault: 'down', modelId: 'lottie' });
    expect((await submit({ input: 'x' })).status).toBe(201);
    expect((await submit({ input: 'x', engine: 'lottie' })).status).toBe(503);
    fr.clearFaults();
    fr.setFault({ fault: 'rate_limited', modelId: 'moonshotai/kimi-k2.5', times: 1 });
    expect((await submit({ input: 'x' })).status).toBe(429);
    expect((await submit({ input: 'x' })).status).toBe(201);
  });
});
