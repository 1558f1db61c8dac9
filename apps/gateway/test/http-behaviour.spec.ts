import { connect } from 'node:net';
import { RPC } from '@pipevideo/contracts';
import { installFakeDownstream } from './fake-downstream';
import { call, Harness, newOrg, startHarness } from './helpers';

describe('error shapes, idempotency, attribution, correlation ids', () => {
  let h: Harness;
  let o: Awaited<ReturnType<typeof newOrg>>;
  beforeAll(async () => {
    h = await startHarness({ defaultRateLimitPerMinute: 10_000, responsesMaxOutputTokensLimit: 30_000 });
    installFakeDownstream(h);
    o = await newOrg(h.url);
  });
  afterAll(async () => h?.close());

  describe('error shapes', () => {
    it('video API: {error:{code,message,details}} for validation errors', async () => {
      const r = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'x', duration: -2 } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: { code: 'BAD_REQUEST', message: 'duration must be a positive number of seconds', details: [{ field: 'duration', message: 'duration must be a positive number of seconds' }] } });
    });

    it('Responses API: OpenAI shape {error:{message,type,param,code}}', async () => {
      const r = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'x', width: -1 } });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ message: 'width must be a positive integer number of pixels', type: 'invalid_request_error', param: 'width', code: 'bad_request' });
      // The output cap is checked against this deployment's limit (PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS_LIMIT).
      const cap = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'x', max_output_tokens: 30_001 } });
      expect(cap.status).toBe(400);
      expect(cap.body.error).toMatchObject({ message: 'max_output_tokens must be at most 30000 tokens', type: 'invalid_request_error', param: 'max_output_tokens' });
      const nf = await call(h.url, 'GET', '/v1/responses/gen_doesnotexist', { key: o.key });
      expect(nf.status).toBe(404);
      expect(nf.body.error).toMatchObject({ type: 'invalid_request_error', code: 'not_found', param: null });
    });

    it('malformed JSON → 400, wrong content type → 400/415, big body → 413, unknown route → 404: never 500', async () => {
      const bad = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '{"model": ', headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('BAD_REQUEST');
      expect(bad.body.error.message).toMatch(/Malformed JSON/);
      const badResp = await call(h.url, 'POST', '/v1/responses', { key: o.key, raw: '[1,', headers: { 'content-type': 'application/json' } });
      expect(badResp.status).toBe(400);
      expect(badResp.body.error.type).toBe('invalid_request_error');
      const proto = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '{"__proto__": {"x": 1}, "model": "m", "prompt": "p"}', headers: { 'content-type': 'application/json' } });
      expect(proto.status).toBe(400);
      const text = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: 'model=m', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(415);
      const xml = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '<a/>', headers: { 'content-type': 'application/xml' } });
      expect(xml.status).toBe(415);
      expect(xml.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const big = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: JSON.stringify({ model: 'm', prompt: 'x'.repeat(9 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
      expect(big.status).toBe(413);
      expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      const bigResp = await call(h.url, 'POST', '/v1/responses', { key: o.key, raw: JSON.stringify({ model: 'm', input: 'x'.repeat(9 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
      expect(bigResp.status).toBe(413);
      expect(bigResp.body.error.type).toBe('invalid_request_error');
      const nf = await call(h.url, 'GET', '/v1/nothing-here');
      expect(nf.status).toBe(404);
      expect(nf.body.error.code).toBe('NOT_FOUND');
      const empty = await call(h.url, 'POST', '/v1/video/generations', { key: o.key });
      expect(empty.status).toBe(400);
    });

    it('bodies that parse but cannot be used are 400s naming where, never 500s; an empty JSON body is no body', async () => {
      const json = { 'content-type': 'application/json' };
      const nest = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      // Nested past the limit anywhere (here: inside options, metadata, an unknown field), for every API.
      for (const [path, body] of [
        ['/v1/video/generations', `{"model":"google/veo-3.1","prompt":"x","options":${nest(5000)}}`],
        ['/v1/responses', `{"model":"m","input":"x","metadata":${nest(3000)}}`],
        ['/v1/responses', `{"model":"m","input":"x","foo":${nest(100)}}`],
      ]) {
        const r = await call(h.url, 'POST', path, { key: o.key, raw: body, headers: json });
        expect(r.status).toBe(400);
        expect(JSON.stringify(r.body)).toMatch(/nested more than 64 levels deep/);
      }
      // A lone surrogate cannot be stored (PostgreSQL's json refuses it): named, in values and in keys.
      const lone = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '{"model":"google/veo-3.1","prompt":"x \\ud800"}', headers: json });
      expect(lone.status).toBe(400);
      expect(lone.body.error.message).toMatch(/^prompt holds a lone UTF-16 surrogate/);
      const loneKey = await call(h.url, 'POST', '/v1/responses', { key: o.key, raw: '{"model":"m","input":"x","metadata":{"\\udc00":"v"}}', headers: json });
      expect(loneKey.status).toBe(400);
      expect(loneKey.body.error.message).toMatch(/^metadata\..* holds a lone UTF-16 surrogate/);
      // A pair is valid text (an emoji written as escapes).
      const pair = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '{"model":"google/veo-3.1","prompt":"a cat \\ud83d\\ude00"}', headers: json });
      expect(pair.status).toBe(200);
      // Names of Object's own methods are unknown fields like any other, not silently dropped.
      const ctor = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'x', constructor: 1 } });
      expect(ctor.status).toBe(400);
      expect(ctor.body.error.message).toBe('constructor is not a known field');
      const videos = await call(h.url, 'POST', '/v1/videos', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'x', toString: 'y' } });
      expect(videos.status).toBe(400);
      expect(videos.body.error.message).toMatch(/^toString is not a parameter of POST \/v1\/videos/);
      // Content-Type: application/json with no body: a route without a body works, one with a body says it is missing.
      const ep = await call(h.url, 'POST', '/v1/webhooks', { key: o.key, body: { url: 'https://example.com/hook' } });
      expect(ep.status).toBe(201);
      const del = await call(h.url, 'DELETE', `/v1/webhooks/${ep.body.id}`, { key: o.key, raw: '', headers: json });
      expect(del.status).toBe(200);
      const noBody = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: '', headers: json });
      expect(noBody.status).toBe(400);
      expect(noBody.body.error.message).toMatch(/Request body is required/);
      // A compressed body is refused for what it is.
      const gz = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: 'x', headers: { ...json, 'content-encoding': 'gzip' } });
      expect(gz.status).toBe(415);
      expect(gz.body.error.message).toBe('Content-Encoding gzip is not accepted for request bodies: send the JSON uncompressed.');
      // Forms are not JSON: 415, not a generation made from form fields.
      const form = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, raw: 'model=google%2Fveo-3.1&prompt=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(415);
    });

    it("requests Node's HTTP parser refuses get the API's error shape and a sentence, not Fastify's", async () => {
      const raw = (text: string) =>
        new Promise<string>((resolve, reject) => {
          const { hostname, port } = new URL(h.url);
          const socket = connect(Number(port), hostname, () => socket.end(text));
          let answer = '';
          socket.on('data', (d) => (answer += d)).on('close', () => resolve(answer)).on('error', reject);
        });
      const parse = (answer: string) => ({ status: Number(answer.split(' ')[1]), body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) });
      const method = parse(await raw('FOO /v1/models HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(method).toEqual({ status: 400, body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/HTTP method/) } } });
      const length = parse(await raw('POST /v1/video/generations HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'));
      expect(length).toEqual({ status: 400, body: { error: { code: 'BAD_REQUEST', message: 'Content-Length is not a valid number of bytes.' } } });
      const huge = parse(await raw(`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
      expect(huge).toEqual({ status: 431, body: { error: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', message: expect.stringMatching(/headers are too large/) } } });
    });

    it('/metrics is open without PIPEVIDEO_METRICS_TOKEN, and needs it as a bearer token once it is set', async () => {
      const scrape = (authorization?: string) => fetch(`${h.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect((await scrape()).status).toBe(200);
      process.env.PIPEVIDEO_METRICS_TOKEN = 'scrape-me-7f3a';
      try {
        const refused = await scrape();
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
        expect(await refused.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'GET /metrics needs Authorization: Bearer <PIPEVIDEO_METRICS_TOKEN>' } });
        expect((await scrape('Bearer wrong')).status).toBe(401);
        const ok = await scrape('Bearer scrape-me-7f3a');
        expect(ok.status).toBe(200);
        expect(await ok.text()).toMatch(/^pipevideo_metrics_scrapes_refused_total\{[^}]*\} 2$/m);
      } finally {
        delete process.env.PIPEVIDEO_METRICS_TOKEN;
      }
    });

    it('a real path with the wrong method is a 405 with Allow (OPTIONS: 204 with Allow); an unknown path stays 404', async () => {
      const put = await call(h.url, 'PUT', '/v1/video/generations', { key: o.key, body: {} });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
      expect(put.body).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: 'PUT is not allowed on /v1/video/generations: use GET, HEAD, POST.' } });
      const onId = await call(h.url, 'PATCH', '/v1/video/generations/gen_abc?x=1', { key: o.key, body: {} });
      expect(onId.status).toBe(405);
      expect(onId.headers.get('allow')).toMatch(/GET/);
      const responses = await call(h.url, 'DELETE', '/v1/responses', { key: o.key });
      expect(responses.status).toBe(405);
      expect(responses.body.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
      const options = await fetch(`${h.url}/v1/models`, { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe('GET, HEAD');
      expect((await call(h.url, 'POST', '/v1/models/google/veo-3.1', { body: {} })).status).toBe(405); // a slug holds a slash
      expect((await call(h.url, 'PUT', '/v1/nothing-here', { key: o.key, body: {} })).status).toBe(404);
    });

    it('ids of the wrong shape are 404 without a downstream call', async () => {
      const before = h.calls.length;
      for (const path of ['/v1/video/generations/nope', '/v1/video/generations/gen_', '/v1/responses/gen_!!', '/v1/webhooks/ep_x%20y', '/v1/models/..%2F..%2Fetc'])
        expect((await call(h.url, 'GET', path, { key: o.key })).status).toBe(404);
      expect(h.calls.length).toBe(before);
    });

    it('passes downstream typed errors through', async () => {
      const r = await call(h.url, 'GET', '/v1/models/acme/unknown');
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({ code: 'NOT_FOUND', message: 'Model not found' });
      const q = await call(h.url, 'GET', '/v1/usage?from=yesterday', { key: o.key });
      expect(q.status).toBe(400);
      expect(q.body.error.message).toMatch(/from must be a unix timestamp/);
    });
  });

  describe('Idempotency-Key', () => {
    const body = { model: 'google/veo-3.1', prompt: 'idempotent cat' };
    it('replays the first answer for the same key and body; refuses another body with 409', async () => {
      const creates = () => h.calls.filter((c) => c.subject === RPC.router.generationCreate).length;
      const n0 = creates();
      const a = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body, headers: { 'idempotency-key': 'k-1' } });
      const b = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { prompt: body.prompt, model: body.model }, headers: { 'idempotency-key': 'k-1' } });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.body).toEqual(a.body);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
      expect(creates()).toBe(n0 + 1);
      // The key goes on to the router, which finds the generation again if a retry ever reaches it.
      expect(h.calls.filter((c) => c.subject === RPC.router.generationCreate).at(-1)!.data).toMatchObject({ orgId: o.orgId, idempotencyKey: 'k-1' });
      const c = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { ...body, prompt: 'other' }, headers: { 'idempotency-key': 'k-1' } });
      expect(c.status).toBe(409);
      expect(c.body.error.code).toBe('CONFLICT');
      expect(c.body.error.message).toMatch(/different request/);
      // Keys are per org: another org may use the same key.
      const other = await newOrg(h.url, 'Other');
      const d = await call(h.url, 'POST', '/v1/video/generations', { key: other.key, body, headers: { 'idempotency-key': 'k-1' } });
      expect(d.status).toBe(200);
      expect(d.body.id).not.toBe(a.body.id);
    });

    it('lets exactly one of concurrent duplicates create', async () => {
      const creates = () => h.calls.filter((c) => c.subject === RPC.router.responseCreate).length;
      const n0 = creates();
      const rs = await Promise.all(Array.from({ length: 6 }, () => call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'race' }, headers: { 'idempotency-key': 'race-1' } })));
      expect(creates()).toBe(n0 + 1);
      const ok = rs.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const r of rs) expect([200, 409]).toContain(r.status);
      expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
      const again = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'race' }, headers: { 'idempotency-key': 'race-1' } });
      expect(again.body.id).toBe(ok[0].body.id);
    });

    it('does not keep the key of a failed request, and validates the header', async () => {
      const bad = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'm' }, headers: { 'idempotency-key': 'k-fail' } });
      expect(bad.status).toBe(400);
      const good = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'm', prompt: 'p' }, headers: { 'idempotency-key': 'k-fail' } });
      expect(good.status).toBe(200);
      const long = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body, headers: { 'idempotency-key': 'x'.repeat(300) } });
      expect(long.status).toBe(400);
    });

    it('works on key, webhook, checkout and operator creates', async () => {
      const k1 = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'idem' }, headers: { 'idempotency-key': 'key-1' } });
      const k2 = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'idem' }, headers: { 'idempotency-key': 'key-1' } });
      expect(k1.status).toBe(201);
      expect(k2.status).toBe(201);
      expect(k2.body.id).toBe(k1.body.id);
      // Shown once: the replay has no secret, and the stored copy of the answer never held it.
      expect(k1.body.key).toMatch(/^pv_/);
      expect(k2.body.key).toBeNull();
      const [{ n }] = await h.gw.ctx.ds.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE response_body::text LIKE '%' || $1 || '%'`, [k1.body.key]);
      expect(n).toBe(0);
      const w1 = await call(h.url, 'POST', '/v1/webhooks', { key: o.key, body: { url: 'https://example.com/h' }, headers: { 'idempotency-key': 'wh-1' } });
      const w2 = await call(h.url, 'POST', '/v1/webhooks', { key: o.key, body: { url: 'https://example.com/h' }, headers: { 'idempotency-key': 'wh-1' } });
      expect(w2.body.id).toBe(w1.body.id);
      if (typeof w1.body.secret === 'string') expect(w2.body.secret).toBeNull();
      const ch = await call(h.url, 'POST', '/v1/billing/checkout', { key: o.key, body: { amount_cents: 500 }, headers: { 'idempotency-key': 'co-1' } });
      expect(ch.status).toBe(201);
      expect(ch.body).toEqual({ id: 'cs_test_1', url: 'https://checkout.stripe.com/c/pay/cs_test_1' });
    });
  });

  describe('attribution and correlation', () => {
    it('passes HTTP-Referer and X-Pipevideo-Title / X-Title (trimmed, capped) with generations and responses', async () => {
      await call(h.url, 'POST', '/v1/video/generations', {
        key: o.key,
        body: { model: 'm', prompt: 'p' },
        headers: { 'http-referer': ' https://myapp.example ', 'x-title': 'Fallback', 'x-pipevideo-title': `  My\tApp ${'y'.repeat(300)}` },
      });
      const g = h.calls.filter((c) => c.subject === RPC.router.generationCreate).pop()!;
      expect(g.data.attribution.referer).toBe('https://myapp.example');
      expect(g.data.attribution.title.startsWith('My App y')).toBe(true);
      expect(g.data.attribution.title.length).toBeLessThanOrEqual(100);
      await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'x' }, headers: { 'x-title': 'Resp App' } });
      const r = h.calls.filter((c) => c.subject === RPC.router.responseCreate).pop()!;
      expect(r.data.attribution).toEqual({ title: 'Resp App' });
      await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'm', prompt: 'p' } });
      expect(h.calls.filter((c) => c.subject === RPC.router.generationCreate).pop()!.data.attribution).toBeUndefined();
      const rk = await call(h.url, 'GET', '/v1/apps/rankings?window_hours=48&limit=5');
      expect(rk.status).toBe(200);
      expect(h.calls.filter((c) => c.subject === RPC.router.rankings).pop()!.data).toMatchObject({ windowHours: 48, limit: 5 });
      expect((await call(h.url, 'GET', '/v1/apps/rankings?limit=0')).status).toBe(400);
    });

    it('namespaces a valid X-Correlation-Id (unique per request), replaces an invalid one, and sends it over NATS', async () => {
      const r = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'm', prompt: 'p' }, headers: { 'x-correlation-id': 'corr-123' } });
      const id = r.headers.get('x-correlation-id');
      expect(id).toMatch(/^client:corr-123:[0-9a-f]{8}$/);
      expect(h.calls.filter((c) => c.subject === RPC.router.generationCreate).pop()!.data.correlationId).toBe(id);
      // The same client id on another request is another correlation id: a client cannot merge its requests with anyone's.
      const again = await call(h.url, 'GET', '/v1/models', { headers: { 'x-correlation-id': 'corr-123' } });
      expect(again.headers.get('x-correlation-id')).toMatch(/^client:corr-123:/);
      expect(again.headers.get('x-correlation-id')).not.toBe(id);
      // Invalid (spaces, too long) or posing as ours (a namespace separator): replaced by a UUID of ours.
      for (const sent of ['bad id with spaces', 'x'.repeat(65), 'client:someone:deadbeef']) {
        const bad = await call(h.url, 'GET', '/v1/models', { headers: { 'x-correlation-id': sent } });
        expect(bad.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });

    it('counts requests by route template and auth failures by reason', async () => {
      await call(h.url, 'GET', '/v1/video/generations/gen_abc', { key: 'pv_' + 'Z'.repeat(40) });
      const m = await call(h.url, 'GET', '/metrics');
      expect(m.text).toMatch(/pipevideo_gateway_requests_total\{[^}]*route="\/v1\/video\/generations\/:id"[^}]*\}/);
      expect(m.text).toMatch(/pipevideo_gateway_auth_failures_total\{[^}]*reason="unknown"[^}]*\} [1-9]/);
    });
  });

  describe('other endpoints', () => {
    it('usage, balance, checkout validation, stripe webhook, webhooks CRUD', async () => {
      const u = await call(h.url, 'GET', '/v1/usage?from=1700000000&to=2024-12-31T00:00:00Z&limit=10&cursor=abc', { key: o.key });
      expect(u.status).toBe(200);
      expect(h.calls.filter((c) => c.subject === RPC.billing.usageList).pop()!.data).toMatchObject({ orgId: o.orgId, from: '2023-11-14T22:13:20.000Z', to: '2024-12-31T00:00:00.000Z', limit: 10, cursor: 'abc' });
      expect((await call(h.url, 'POST', '/v1/billing/checkout', { key: o.key, body: { amount_cents: 10 } })).body.error.message).toMatch(/at least 50 cents/);
      const sig = await call(h.url, 'POST', '/v1/billing/stripe/webhook', { raw: '{"id":"evt_1"}', headers: { 'content-type': 'application/json', 'stripe-signature': 'good' } });
      expect(sig.status).toBe(200);
      expect(h.calls.filter((c) => c.subject === RPC.billing.stripeEvent).pop()!.data).toMatchObject({ payload: '{"id":"evt_1"}', signature: 'good' });
      const noSig = await call(h.url, 'POST', '/v1/billing/stripe/webhook', { raw: '{}', headers: { 'content-type': 'application/json' } });
      expect(noSig.status).toBe(400);
      const badSig = await call(h.url, 'POST', '/v1/billing/stripe/webhook', { raw: '{}', headers: { 'content-type': 'application/json', 'stripe-signature': 'bad' } });
      expect(badSig.status).toBe(400);

      const ep = await call(h.url, 'POST', '/v1/webhooks', { key: o.key, body: { url: 'https://example.com/h', events: ['video.generation.completed'] } });
      expect(ep.status).toBe(201);
      expect((await call(h.url, 'POST', '/v1/webhooks', { key: o.key, body: { url: 'https://example.com/h', events: ['nope'] } })).status).toBe(400);
      expect((await call(h.url, 'GET', '/v1/webhooks', { key: o.key })).body.data.length).toBeGreaterThan(0);
      expect((await call(h.url, 'PATCH', `/v1/webhooks/${ep.body.id}`, { key: o.key, body: { enabled: false } })).status).toBe(200);
      expect((await call(h.url, 'PATCH', `/v1/webhooks/${ep.body.id}`, { key: o.key, body: {} })).status).toBe(400);
      expect((await call(h.url, 'POST', `/v1/webhooks/${ep.body.id}/rotate-secret`, { key: o.key })).status).toBe(200);
      expect((await call(h.url, 'POST', `/v1/webhooks/${ep.body.id}/test`, { key: o.key })).status).toBe(200);
      const dl = await call(h.url, 'GET', `/v1/webhooks/${ep.body.id}/deliveries?status=pending`, { key: o.key });
      expect(dl.status).toBe(200);
      expect((await call(h.url, 'POST', `/v1/webhooks/${ep.body.id}/deliveries/${dl.body.data[0].id}/retry`, { key: o.key })).status).toBe(200);
      expect((await call(h.url, 'DELETE', `/v1/webhooks/${ep.body.id}`, { key: o.key })).body.deleted).toBe(true);
    });

    it('responses: DELETE answers {id, cancelled}; POST /cancel answers the response object', async () => {
      const r = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'moonshotai/kimi-k2.5', input: 'x' } });
      expect(r.status).toBe(200);
      const c = await call(h.url, 'POST', `/v1/responses/${r.body.id}/cancel`, { key: o.key });
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({ id: r.body.id, object: 'response', status: 'cancelled' });
      expect(c.body).not.toHaveProperty('cancelled');
      const d = await call(h.url, 'DELETE', `/v1/responses/${r.body.id}`, { key: o.key });
      expect(d.status).toBe(200);
      expect(d.body).toEqual({ id: r.body.id, cancelled: true });
    });
  });
});
