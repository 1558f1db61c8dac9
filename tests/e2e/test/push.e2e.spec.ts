/**
 * Progress and push instead of polling (issue 16), over HTTP against the whole platform: the `openai`
 * SDK's Responses streaming (`stream: true`), the generation event stream read by an EventSource
 * client (the `eventsource` package), `?wait=N` long-polls, progress with phases and fal queue
 * positions mapped from the sandboxes, and the per-key limit on open streams. The gateway's safety
 * re-read is set to a minute here, so every push these tests see within their timeouts came from the
 * router's generation.updated broadcasts.
 */
import OpenAI from 'openai';
import { http, waitFor } from './harness/http';
import { settledBalance } from './harness/org';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMicroservices, createFundedOrg, Platform, startEmbeddedProcess, type EmbeddedPlatformProcess } from './harness/platform';

// eventsource 2.x is CommonJS (3+ is ESM only, which jest's CommonJS mode cannot load).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EventSource: new (url: string, init?: { headers?: Record<string, string> }) => EventSourceLike = require('eventsource');
interface EventSourceLike {
  addEventListener(type: string, fn: (e: { data: string; lastEventId: string }) => void): void;
  onerror: ((e: unknown) => void) | null;
  close(): void;
}

interface Pushed {
  type: string;
  id: string;
  data: any;
}

/** Reads a generation's event stream until its final event (or `until`), with an EventSource client. */
function readEvents(url: string, key: string, until = (e: Pushed) => ['generation.completed', 'generation.failed', 'generation.cancelled'].includes(e.type)): Promise<Pushed[]> {
  return new Promise((resolve, reject) => {
    const got: Pushed[] = [];
    const es = new EventSource(url, { headers: { authorization: `Bearer ${key}` } });
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`no final event within 60 s; got ${JSON.stringify(got.map((e) => e.type))}`));
    }, 60_000);
    for (const type of ['generation.pending', 'generation.processing', 'generation.progress', 'generation.completed', 'generation.failed', 'generation.cancelled']) {
      es.addEventListener(type, (e) => {
        const ev = { type, id: e.lastEventId, data: JSON.parse(e.data) };
        got.push(ev);
        if (until(ev)) {
          clearTimeout(timer);
          es.close();
          resolve(got);
        }
      });
    }
    es.onerror = (e) => {
      if (got.length && until(got[got.length - 1])) return;
      clearTimeout(timer);
      es.close();
      reject(new Error(`event stream error: ${JSON.stringify(e)}`));
    };
  });
}

describe('push and progress (microservices mode)', () => {
  let p: Platform;
  let key: string;
  let client: OpenAI;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices({
      env: { PIPEVIDEO_PROVIDERS_PROGRESS_POLL_MS: '150', PIPEVIDEO_PUSH_RECHECK_MS: '60000', PIPEVIDEO_SSE_MAX_PER_KEY: '3', PIPEVIDEO_SSE_HEARTBEAT_MS: '1000' },
    }));
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 50_000, 'push org')).key;
    client = new OpenAI({ apiKey: key, baseURL: `${p.baseUrl}/v1`, maxRetries: 0 });
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('POST /v1/responses with stream: true, read with the openai SDK: created → in_progress → completed, numbered in order', async () => {
    if (skip) return;
    const stream = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'A logo that bounces', stream: true, engine: 'lottie' } as any);
    const events: any[] = [];
    for await (const e of stream as any) events.push(e);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.in_progress');
    expect(types.at(-1)).toBe('response.completed');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const created = events[0].response;
    expect(created).toMatchObject({ object: 'response', status: 'queued', progress: 0 });
    const done = events.at(-1).response;
    expect(done).toMatchObject({ id: created.id, status: 'completed', progress: 100, phase: 'completed' });
    expect(done.output_video_url.startsWith(`${p.baseUrl}/v1/files/`)).toBe(true);
    // Framerate's phases come through as the job moved (queued/composing/rendering/storing), progress never going back.
    const progress = events.filter((e) => e.type === 'response.in_progress').map((e) => e.response.progress);
    expect(progress.every((v, i) => i === 0 || v >= progress[i - 1])).toBe(true);
    // The stream's last object is what GET answers.
    const got = await http('GET', `${p.baseUrl}/v1/responses/${created.id}`, { key });
    expect(got.body).toMatchObject({ status: 'completed', output_video_url: expect.any(String), usage: done.usage });
  });

  it('a failing streamed response ends with response.failed and is refunded', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const stream = await client.responses.create({ model: 'moonshotai/kimi-k2.5', input: 'A logo [framerate:accept_then_fail]', stream: true, engine: 'hyperframes' } as any);
    const types: string[] = [];
    let last: any;
    for await (const e of stream as any) {
      types.push(e.type);
      last = e;
    }
    expect(types[0]).toBe('response.created');
    expect(last).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'provider_failure' } } });
    // The orchestration ran (its tokens are billed), the render failed: the token charge is refunded.
    // No hold open is not yet settled: the token charge captures the hold first, the generation.finished
    // that refunds it follows; wait (bounded) for the refund, then check nothing was kept.
    let after = await settledBalance(p.baseUrl, key);
    for (const until = Date.now() + 15_000; after.balance_cents !== before.balance_cents && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 200));
      after = await settledBalance(p.baseUrl, key);
    }
    expect(after.balance_cents).toBe(before.balance_cents);
  });

  it('GET /v1/video/generations/{id}/events: status changes and progress pushed to an EventSource client, ending with completed', async () => {
    if (skip) return;
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'google/veo-3.1', prompt: 'A slow cat [fal:slow_job=3000]', provider: { only: ['fal'], allow_fallbacks: false } } });
    expect(created.status).toBe(200);
    const events = await readEvents(`${p.baseUrl}/v1/video/generations/${created.body.id}/events`, key);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i));
    const last = events.at(-1)!;
    expect(last.type).toBe('generation.completed');
    expect(last.data).toMatchObject({ id: created.body.id, status: 'completed', progress: 100, output_url: expect.stringContaining('/v1/files/') });
    // fal's phases as the adapter maps them, pushed while the job ran: queued (with its position), processing, storing.
    const phases = events.map((e) => e.data.phase);
    expect(phases).toContain('processing');
    const running = events.filter((e) => e.data.status === 'processing');
    expect(running.some((e) => e.data.progress > 0 && e.data.progress < 100)).toBe(true);
    for (const e of events.filter((x) => x.data.phase === 'queued' && x.data.status === 'processing')) expect(e.data.queue_position).toBeGreaterThanOrEqual(0);
  });

  it('fal queue positions: of generations submitted together, later ones see jobs ahead of them', async () => {
    if (skip) return;
    const ids = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'google/veo-3.1-fast', prompt: `Queued cat ${i} [fal:slow_job=4500]`, provider: { only: ['fal'], allow_fallbacks: false } } });
        expect(r.status).toBe(200);
        return r.body.id as string;
      }),
    );
    const seen = await Promise.all(ids.map((id) => readEvents(`${p.baseUrl}/v1/video/generations/${id}/events`, key)));
    const positions = seen.flat().map((e) => e.data.queue_position).filter((q) => typeof q === 'number');
    expect(positions.length).toBeGreaterThan(0);
    expect(Math.max(...positions)).toBeGreaterThanOrEqual(1);
    for (const events of seen) expect(events.at(-1)!.type).toBe('generation.completed');
  });

  it('GET …/{id}?wait=N answers when the status changes; wait above 60 is a 400', async () => {
    if (skip) return;
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'google/veo-3.1', prompt: 'A waiting cat [fal:slow_job=2000]', provider: { only: ['fal'], allow_fallbacks: false } } });
    const id = created.body.id;
    let seen = (await http('GET', `${p.baseUrl}/v1/video/generations/${id}`, { key })).body.status;
    // Each long-poll comes back with another status than the one before, until completed.
    for (let i = 0; i < 5 && seen !== 'completed'; i++) {
      const r = await http('GET', `${p.baseUrl}/v1/video/generations/${id}?wait=30`, { key });
      expect(r.status).toBe(200);
      expect(r.body.status).not.toBe(seen);
      seen = r.body.status;
    }
    expect(seen).toBe('completed');
    // Final: answered at once.
    expect((await http('GET', `${p.baseUrl}/v1/video/generations/${id}?wait=60`, { key })).body.status).toBe('completed');
    const bad = await http('GET', `${p.baseUrl}/v1/video/generations/${id}?wait=61`, { key });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/wait must be an integer from 0 to 60/);
    // The Responses object long-polls the same way.
    const resp = await http('POST', `${p.baseUrl}/v1/responses`, { key, body: { model: 'moonshotai/kimi-k2.5', input: 'A waiting logo', engine: 'hyperframes' } });
    const r2 = await http('GET', `${p.baseUrl}/v1/responses/${resp.body.id}?wait=30`, { key });
    expect(r2.body.status).not.toBe('queued');
  });

  it('open event streams are limited per API key (429 past the limit); closing one frees its slot', async () => {
    if (skip) return;
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'google/veo-3.1', prompt: 'A long cat [fal:slow_job=8000]', provider: { only: ['fal'], allow_fallbacks: false } } });
    const url = `${p.baseUrl}/v1/video/generations/${created.body.id}/events`;
    const open = await Promise.all([0, 1, 2].map(() => fetch(url, { headers: { authorization: `Bearer ${key}` } })));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(open[0].headers.get('content-type')).toMatch(/text\/event-stream/);
    const refused = await http('GET', url, { key });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/event streams open \(the limit is 3\)/);
    // Another key of another org is not affected.
    const other = (await createFundedOrg(p.baseUrl, p.adminToken, 1_000, 'push other')).key;
    expect((await http('GET', url, { key: other })).status).toBe(404);
    await open[0].body!.cancel();
    await waitFor('a slot to free', async () => {
      const r = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
      if (r.status === 200) {
        await r.body!.cancel();
        return true;
      }
      await r.body?.cancel();
      return false;
    }, 10_000);
    for (const r of open.slice(1)) await r.body!.cancel();
    // The gauge of open streams goes back to 0 once every stream is closed; the refusal was counted.
    await waitFor('open streams to read 0', async () => {
      const metrics = await fetch(`${p.baseUrl}/metrics`).then((r) => r.text());
      return /pipevideo_gateway_sse_connections_open\{[^}]*stream="generation_events"[^}]*\} 0\b/.test(metrics);
    }, 10_000);
    const metrics = await fetch(`${p.baseUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/pipevideo_gateway_sse_connections_refused_total\{[^}]*stream="generation_events"[^}]*\} [1-9]/);
  });
});

describe('push in embedded mode on the in-process transport', () => {
  let e: EmbeddedPlatformProcess;
  let dir: string;
  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'pv-push-embedded-')), '.pipevideo');
    // No NATS: the router's broadcasts reach the gateway on the in-process bus; the safety re-read is a minute away.
    e = await startEmbeddedProcess({ dataDir: dir, env: { PIPEVIDEO_TRANSPORT: 'inprocess', PIPEVIDEO_PUSH_RECHECK_MS: '60000', PIPEVIDEO_SANDBOX_JOB_MS: '1500' } });
  }, 180_000);
  afterAll(async () => {
    await e?.stop();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('the event stream and a long-poll follow a generation to completed; its stored file is served from the data folder', async () => {
    const created = await http('POST', `${e.baseUrl}/v1/video/generations`, { key: e.apiKey, body: { model: 'wan/2.5', prompt: 'An embedded cat', provider: { order: ['fal'] } } });
    expect(created.status).toBe(200);
    const [events, polled] = await Promise.all([
      readEvents(`${e.baseUrl}/v1/video/generations/${created.body.id}/events`, e.apiKey),
      http('GET', `${e.baseUrl}/v1/video/generations/${created.body.id}?wait=45`, { key: e.apiKey }),
    ]);
    expect(polled.status).toBe(200);
    expect(polled.body.status).not.toBe('pending');
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'generation.completed', data: { status: 'completed', progress: 100 } });
    const file = await fetch(last.data.output_url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
  });
});
