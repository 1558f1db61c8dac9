/**
 * What the gateway answers from memory (issue 19): the public catalog and the OpenAPI document with
 * ETag/Cache-Control, refreshed on `catalog.updated`; polls from the view that `generation.updated`
 * notices keep current. Over HTTP against a real gateway; the router is a stand-in on the in-process bus
 * that counts what it is asked.
 */
import { BROADCASTS, generationUpdatedSubject, RPC } from '@pipevideo/contracts';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { call, Harness, newOrg, startHarness } from './helpers';

jest.setTimeout(30_000);

const until = async (what: string, fn: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timeout waiting for ${what}`);
};

describe('answers from the gateway’s memory', () => {
  let h: Harness;
  let models = [{ id: 'google/veo-3.1', object: 'model' }];
  const asked = (subject: string) => h.calls.filter((c) => c.subject === subject).length;

  beforeAll(async () => {
    h = await startHarness({ catalogRefreshMs: 60_000 });
    // The router, as far as these routes go: one generation and one response per create, org-scoped.
    const rows = new Map<string, { orgId: string; body: Record<string, unknown> }>();
    const own = (d: { orgId: string; id: string }) => {
      const r = rows.get(d.id);
      if (!r || r.orgId !== d.orgId) throw Object.assign(new Error('Generation not found'), { code: 'NOT_FOUND' });
      return r;
    };
    let n = 0;
    h.stub(RPC.router.generationCreate, (d) => {
      const id = `gen_video${++n}`;
      rows.set(id, { orgId: d.orgId, body: { id, status: 'pending' } });
      return { id, status: 'pending' };
    });
    h.stub(RPC.router.generationGet, (d) => own(d).body);
    h.stub(RPC.router.responseCreate, (d) => {
      const id = `gen_response${++n}`;
      rows.set(id, { orgId: d.orgId, body: { id, object: 'response', status: 'queued' } });
      return rows.get(id)!.body;
    });
    h.stub(RPC.router.responseGet, (d) => own(d).body);
    h.stub(RPC.router.responseCancel, (d) => {
      const r = own(d);
      r.body = { ...r.body, status: 'cancelled' };
      return { ...r.body, cancelled: true };
    });
    h.stub(RPC.router.enginesList, () => ({ object: 'list', data: [{ id: 'hyperframes' }] }));
    h.stub(RPC.router.modelsList, () => ({ object: 'list', data: models }));
    h.wiring.bus.broadcast(BROADCASTS.catalogUpdated, '{"v":1}');
    await until('the catalog read', () => asked(RPC.router.modelsList) > 0 && asked(RPC.router.enginesList) > 0);
  });
  afterAll(async () => h?.close());

  it('/v1/models and /v1/engines: from memory with ETag and Cache-Control, 304 on If-None-Match, re-read on catalog.updated', async () => {
    const before = asked(RPC.router.modelsList);
    const a = await call(h.url, 'GET', '/v1/models');
    const b = await call(h.url, 'GET', '/v1/models');
    expect([a.status, a.body.data]).toEqual([200, models]);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(a.headers.get('cache-control')).toBe('public, max-age=60');
    expect(a.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    expect(a.headers.get('x-ratelimit-limit')).not.toBeNull(); // the client IP's budget, as before
    expect(asked(RPC.router.modelsList)).toBe(before); // not asked per request

    const cached = await call(h.url, 'GET', '/v1/models', { headers: { 'if-none-match': a.headers.get('etag')! } });
    expect([cached.status, cached.text]).toEqual([304, '']);

    models = [...models, { id: 'minimax/hailuo-02', object: 'model' }];
    h.wiring.bus.broadcast(BROADCASTS.catalogUpdated, '{"v":1}');
    await until('the new catalog', async () => (await call(h.url, 'GET', '/v1/models')).body.data.length === 2);
    const changed = await call(h.url, 'GET', '/v1/models', { headers: { 'if-none-match': a.headers.get('etag')! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(a.headers.get('etag'));

    const engines = await call(h.url, 'GET', '/v1/engines');
    expect([engines.status, engines.body.data]).toEqual([200, [{ id: 'hyperframes' }]]);
    expect(engines.headers.get('etag')).toMatch(/^"/);
  });

  it('/openapi.json: the same document, with an ETag that revalidates to 304', async () => {
    const doc = await call(h.url, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/v1/models']).toBeDefined();
    const again = await call(h.url, 'GET', '/openapi.json', { headers: { 'if-none-match': doc.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('compressed answers: the same JSON in gzip and brotli, Vary and an ETag per coding, 304 per coding, new tags after a refresh', async () => {
    // Raw HTTP (fetch would decode the body and hide the coding).
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = httpGet(`${h.url}${path}`, { headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
      });
    const decode = (r: { headers: IncomingHttpHeaders; body: Buffer }) =>
      JSON.parse((r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString('utf8'));

    // A catalog large enough to be worth compressing.
    models = Array.from({ length: 40 }, (_, i) => ({ id: `vendor/model-${i}`, object: 'model' }));
    h.wiring.bus.broadcast(BROADCASTS.catalogUpdated, '{"v":1}');
    await until('the large catalog', async () => decode(await get('/v1/models')).data.length === 40);

    for (const path of ['/v1/models', '/openapi.json']) {
      const identity = await get(path);
      const gzip = await get(path, { 'accept-encoding': 'gzip, deflate' });
      const br = await get(path, { 'accept-encoding': 'gzip, deflate, br' });
      expect([identity.status, gzip.status, br.status]).toEqual([200, 200, 200]);
      expect([identity.headers['content-encoding'], gzip.headers['content-encoding'], br.headers['content-encoding']]).toEqual([undefined, 'gzip', 'br']);
      expect(decode(gzip)).toEqual(decode(identity));
      expect(decode(br)).toEqual(decode(identity));
      expect(br.body.length).toBeLessThan(identity.body.length);
      expect(Number(br.headers['content-length'])).toBe(br.body.length);
      const tags = [identity, gzip, br].map((r) => r.headers.etag);
      expect(new Set(tags).size).toBe(3);
      for (const r of [identity, gzip, br]) {
        expect(r.headers.vary).toBe('Accept-Encoding');
        expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(r.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.headers['x-ratelimit-limit']).toBeDefined();
      }
      // 304 for the representation the request would get, with its own tag; another coding's tag does not match.
      const fresh = await get(path, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! });
      expect([fresh.status, fresh.body.length, fresh.headers.etag, fresh.headers.vary, fresh.headers['cache-control']]).toEqual([304, 0, br.headers.etag, 'Accept-Encoding', br.headers['cache-control']]);
      expect((await get(path, { 'accept-encoding': 'gzip', 'if-none-match': gzip.headers.etag! })).status).toBe(304);
      expect((await get(path, { 'if-none-match': identity.headers.etag! })).status).toBe(304);
      expect((await get(path, { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! })).status).toBe(200);
      expect((await get(path, { 'accept-encoding': 'gzip', 'if-none-match': `${identity.headers.etag}, ${gzip.headers.etag}` })).status).toBe(304);
      // A client's own correlation id comes back namespaced, as on every other route.
      expect((await get(path, { 'x-correlation-id': 'mine-1' })).headers['x-correlation-id']).toMatch(/^client:mine-1:[0-9a-f]{8}$/);
    }

    // A refresh that changes the catalog changes the tag of every representation.
    const before = await Promise.all(['', 'gzip', 'br'].map((enc) => get('/v1/models', enc ? { 'accept-encoding': enc } : {})));
    models = models.slice(1);
    h.wiring.bus.broadcast(BROADCASTS.catalogUpdated, '{"v":1}');
    await until('the changed catalog', async () => decode(await get('/v1/models')).data.length === 39);
    const after = await Promise.all(['', 'gzip', 'br'].map((enc) => get('/v1/models', enc ? { 'accept-encoding': enc } : {})));
    for (let i = 0; i < 3; i++) {
      expect(after[i].headers['content-encoding']).toBe(before[i].headers['content-encoding']);
      expect(after[i].headers.etag).not.toBe(before[i].headers.etag);
      expect(before.map((r) => r.headers.etag)).not.toContain(after[i].headers.etag);
      expect(decode(after[i]).data).toHaveLength(39);
      // The old tag no longer revalidates.
      expect((await get('/v1/models', { ...(i ? { 'accept-encoding': ['', 'gzip', 'br'][i] } : {}), 'if-none-match': before[i].headers.etag! })).status).toBe(200);
    }
    models = [{ id: 'google/veo-3.1', object: 'model' }];
    h.wiring.bus.broadcast(BROADCASTS.catalogUpdated, '{"v":1}');
    await until('the small catalog', async () => decode(await get('/v1/models')).data.length === 1);
  });

  it('HEAD of a static route is the GET from memory without its body; other methods and unknown paths go the ordinary way', async () => {
    const asks = asked(RPC.router.modelsList);
    const br = { 'accept-encoding': 'br' };
    const [head, get] = [await fetch(`${h.url}/v1/models`, { method: 'HEAD', headers: br }), await fetch(`${h.url}/v1/models`, { headers: br })];
    expect([head.status, (await head.arrayBuffer()).byteLength]).toEqual([200, 0]);
    for (const name of ['etag', 'cache-control', 'vary', 'content-length', 'content-encoding', 'content-type', 'x-ratelimit-limit'])
      expect([name, head.headers.get(name)]).toEqual([name, get.headers.get(name)]);
    expect((await fetch(`${h.url}/v1/models`, { method: 'HEAD', headers: { ...br, 'if-none-match': get.headers.get('etag')! } })).status).toBe(304);
    expect(asked(RPC.router.modelsList)).toBe(asks); // not a NATS hop
    expect((await call(h.url, 'POST', '/v1/models', { body: {} })).status).toBe(405); // the path is the API's, the method is not
    expect((await call(h.url, 'GET', '/v1/models/')).status).not.toBe(500);
    const q = await call(h.url, 'GET', '/v1/models?limit=1');
    expect([q.status, q.headers.get('etag')]).toEqual([200, (await call(h.url, 'GET', '/v1/models')).headers.get('etag')]);
  });

  it('polls: from the view until a generation.updated notice or a reset; never another org’s; a cancel is seen at once', async () => {
    const o = await newOrg(h.url, 'Poller');
    const created = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'a cat' } });
    const id = created.body.id as string;
    const poll = () => call(h.url, 'GET', `/v1/video/generations/${id}`, { key: o.key });
    const before = asked(RPC.router.generationGet);
    expect((await poll()).body.status).toBe('pending');
    expect((await poll()).body.status).toBe('pending');
    expect(asked(RPC.router.generationGet)).toBe(before + 1);

    // The router announces a change: the next poll reads it, the ones after come from memory again.
    h.wiring.bus.broadcast(generationUpdatedSubject(o.orgId), JSON.stringify({ v: 1, id, orgId: o.orgId, api: 'video', status: 'processing', attempt: 1, deleted: false }));
    await until('the notice', async () => asked(RPC.router.generationGet) > before + 1 || ((await poll()), false));
    await poll();
    expect(asked(RPC.router.generationGet)).toBe(before + 2);

    h.wiring.bus.broadcast(BROADCASTS.generationViewReset, '{"v":1}');
    await until('the reset', async () => ((await poll()), asked(RPC.router.generationGet) === before + 3));

    // Another org's key never sees it, from memory or not.
    const other = await newOrg(h.url, 'Other');
    expect((await call(h.url, 'GET', `/v1/video/generations/${id}`, { key: other.key })).status).toBe(404);

    // Responses: a cancel through this gateway is visible to the next poll without waiting for the notice.
    const r = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'claude-sonnet-4.5', input: 'a cat' } });
    const get = () => call(h.url, 'GET', `/v1/responses/${r.body.id}`, { key: o.key });
    expect((await get()).body.status).toBe('queued');
    expect((await get()).body.status).toBe('queued');
    expect((await call(h.url, 'POST', `/v1/responses/${r.body.id}/cancel`, { key: o.key })).status).toBe(200);
    expect((await get()).body.status).toBe('cancelled');
  });

  it('/metrics counts answers from memory and the poll view', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/pipevideo_gateway_static_answers_total\{route="\/v1\/models",result="not_modified",service="gateway"\} [1-9]/);
    // Answers from memory are counted in the HTTP metrics as every request is.
    expect(text).toMatch(/pipevideo_gateway_static_answers_total\{route="\/openapi.json",result="ok",service="gateway"\} [1-9]/);
    expect(text).toMatch(/pipevideo_http_request_duration_seconds_count\{service="gateway",method="GET",route="\/v1\/models",status_code="200"\} [1-9]/);
    expect(text).toMatch(/pipevideo_http_request_duration_seconds_count\{service="gateway",method="GET",route="\/v1\/models",status_code="304"\} [1-9]/);
    expect(text).toMatch(/pipevideo_gateway_requests_total\{route="\/openapi.json",status_code="200",service="gateway"\} [1-9]/);
    expect(text).toMatch(/pipevideo_gateway_poll_view_total\{face="generation",result="hit",service="gateway"\} [1-9]/);
    expect(text).toMatch(/pipevideo_gateway_generation_notices_total\{kind="reset",service="gateway"\} [1-9]/);
  });
});
