/**
 * The gateway as the only door, against the whole platform (five services on NATS, PostgreSQL, the
 * sandboxes): org A's key sees nothing of org B's anywhere, and 2,000 generated hostile requests to
 * every public endpoint get a 4xx in one of our error shapes — never a 5xx, from any service behind it.
 */
import fc from 'fast-check';
import { http, waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, issueKey, Platform } from './harness/platform';

jest.setTimeout(300_000);

describe('the public door (microservices mode)', () => {
  let p: Platform;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  async function orgWithKeys(name: string) {
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, name);
    const mgmt = await issueKey(p.baseUrl, p.adminToken, org.orgId, 'management');
    return { ...org, mgmtKey: mgmt.key, mgmtKeyId: mgmt.keyId };
  }

  it("org A's keys can neither read, list, cancel nor configure anything of org B's (404 everywhere)", async () => {
    if (skip) return;
    const a = await orgWithKeys('isolation A');
    const b = await orgWithKeys('isolation B');
    const gen = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: b.key, body: { model: 'google/veo-3.1', prompt: 'B only' } });
    const resp = await http('POST', `${p.baseUrl}/v1/responses`, { key: b.key, body: { model: 'moonshotai/kimi-k2.5', input: 'B only [framerate:slow=3000]' } });
    const ep = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: b.key, body: { url: 'http://127.0.0.1:9/hook' } });
    const video = await http('POST', `${p.baseUrl}/v1/videos`, { key: b.key, body: { model: 'google/veo-3.1', prompt: 'B only', seconds: '8' } });
    expect([gen.status, resp.status, ep.status, video.status]).toEqual([200, 200, 201, 200]);
    expect((await http('POST', `${p.baseUrl}/v1/webhooks/${ep.body.id}/test`, { key: b.key })).status).toBeLessThan(300);
    const dlv = await waitFor('a delivery of B', async () => (await http('GET', `${p.baseUrl}/v1/webhooks/${ep.body.id}/deliveries`, { key: b.key })).body.data?.[0]?.id as string);

    const attempts: Array<[string, string, string, unknown?]> = [
      ['GET', `/v1/video/generations/${gen.body.id}`, a.key],
      ['GET', `/v1/video/generations/${gen.body.id}/content`, a.key],
      ['GET', `/v1/video/generations/${gen.body.id}/events`, a.key],
      ['GET', `/v1/videos/${video.body.id}`, a.key],
      ['GET', `/v1/videos/${video.body.id}/content`, a.key],
      ['DELETE', `/v1/videos/${video.body.id}`, a.key],
      ['PATCH', `/v1/keys/${b.keyId}`, a.mgmtKey, { limit_cents: 1 }],
      ['GET', `/v1/responses/${resp.body.id}`, a.key],
      ['DELETE', `/v1/responses/${resp.body.id}`, a.key],
      ['POST', `/v1/responses/${resp.body.id}/cancel`, a.key],
      ['POST', `/v1/keys/${b.keyId}/rotate`, a.mgmtKey],
      ['DELETE', `/v1/keys/${b.keyId}`, a.mgmtKey],
      ['GET', `/v1/webhooks/${ep.body.id}`, a.key],
      ['PATCH', `/v1/webhooks/${ep.body.id}`, a.key, { enabled: false }],
      ['DELETE', `/v1/webhooks/${ep.body.id}`, a.key],
      ['POST', `/v1/webhooks/${ep.body.id}/rotate-secret`, a.key],
      ['POST', `/v1/webhooks/${ep.body.id}/test`, a.key],
      ['GET', `/v1/webhooks/${ep.body.id}/deliveries`, a.key],
      ['POST', `/v1/webhooks/${ep.body.id}/deliveries/${dlv}/retry`, a.key],
    ];
    for (const [method, path, key, body] of attempts) {
      const r = await http(method, `${p.baseUrl}${path}`, { key, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
      if (path.startsWith('/v1/responses') || path.startsWith('/v1/videos')) expect(r.body.error.type).toBe('invalid_request_error');
      else expect(r.body.error.code).toBe('NOT_FOUND');
    }
    // Lists and usage never show B's things to A.
    expect((await http('GET', `${p.baseUrl}/v1/video/generations`, { key: a.key })).body.data).toEqual([]);
    expect((await http('GET', `${p.baseUrl}/v1/webhooks`, { key: a.key })).body.data).toEqual([]);
    expect((await http('GET', `${p.baseUrl}/v1/usage`, { key: a.key })).body.data).toEqual([]);
    expect((await http('GET', `${p.baseUrl}/v1/keys`, { key: a.mgmtKey })).body.data.map((k: any) => k.id).sort()).toEqual([a.keyId, a.mgmtKeyId].sort());
    // B's things are untouched and B's keys still work.
    expect((await http('GET', `${p.baseUrl}/v1/webhooks/${ep.body.id}`, { key: b.key })).body.enabled).toBe(true);
    expect((await http('GET', `${p.baseUrl}/v1/responses/${resp.body.id}`, { key: b.key })).body.status).not.toBe('cancelled');
    expect((await http('GET', `${p.baseUrl}/v1/video/generations/${gen.body.id}`, { key: b.key })).status).toBe(200);
    expect((await http('GET', `${p.baseUrl}/v1/video/generations`, { key: b.key })).body.data.map((g: any) => g.id)).toContain(gen.body.id); // and its /v1/videos one
  });

  it('input the database could not hold is a 400 naming the field; an option sent as null means "not given"', async () => {
    if (skip) return;
    const o = await orgWithKeys('unstorable');
    const ep = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: o.key, body: { url: 'http://127.0.0.1:9/hook' } });
    expect(ep.status).toBe(201);
    const badDateCursor = Buffer.from('2025-02-30T00:00:00Z|ep_x').toString('base64url');
    const refusals: Array<[string, string, string, unknown, RegExp]> = [
      ['POST', '/v1/video/generations', o.key, { model: 'google/veo-3.1', prompt: 'a\u0000b' }, /prompt contains a NUL/],
      ['POST', '/v1/video/generations', o.key, { model: 'google/veo-3.1', prompt: 'x', provider: { order: ['fal\u0000'] } }, /provider\.order\[0\] contains a NUL/],
      ['POST', '/v1/responses', o.key, { model: 'moonshotai/kimi-k2.5', input: 'x', instructions: '\u0000' }, /instructions contains a NUL/],
      ['POST', '/v1/webhooks', o.key, { url: 'http://127.0.0.1:9/hook', description: 'd\u0000' }, /description contains a NUL/],
      ['POST', '/v1/keys', o.mgmtKey, { name: 'k\u0000' }, /name contains a NUL/],
      ['GET', `/v1/webhooks?cursor=${badDateCursor}`, o.key, undefined, /cursor is not valid/],
      ['GET', `/v1/webhooks/${ep.body.id}/deliveries?cursor=${badDateCursor}`, o.key, undefined, /cursor is not valid/],
      ['GET', `/v1/video/generations?cursor=${badDateCursor}`, o.key, undefined, /cursor is not valid/],
      ['GET', `/v1/usage?cursor=${badDateCursor}`, o.key, undefined, /cursor is not valid/],
      ['GET', '/v1/usage?cursor=%00', o.key, undefined, /cursor contains a NUL/],
      ['GET', '/v1/video/generations?before=2025-02-30', o.key, undefined, /before must be a unix timestamp/],
      ['GET', '/v1/usage?from=0000-01-01', o.key, undefined, /from must be a unix timestamp/],
      ['GET', '/v1/usage?status=pending', o.key, undefined, /status must be one of completed, failed, cancelled, incomplete, in_progress/],
      ['GET', '/v1/usage?api=images', o.key, undefined, /api must be one of video, responses/],
      ['GET', '/v1/usage?to=2025-02-30', o.key, undefined, /to must be a unix timestamp/],
    ];
    for (const [method, path, key, body, message] of refusals) {
      const r = await http(method, `${p.baseUrl}${path}`, { key, body });
      expect({ method, path, status: r.status, message: r.body?.error?.message }).toEqual({ method, path, status: 400, message: expect.stringMatching(message) });
    }
    // null is "not given", as OpenAI SDKs send it for unset options.
    const withNulls = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: o.key, body: { model: 'google/veo-3.1', prompt: 'x', provider: null, duration: null } });
    expect(withNulls.status).toBe(200);
    const respNulls = await http('POST', `${p.baseUrl}/v1/responses`, { key: o.key, body: { model: 'moonshotai/kimi-k2.5', input: 'x', instructions: null, metadata: null } });
    expect(respNulls.status).toBe(200);
    // The far edge of the date range, and a bare-day `to` that covers the whole day of an earlier `from` instant.
    expect((await http('GET', `${p.baseUrl}/v1/usage?to=9999-12-31`, { key: o.key })).status).toBe(200);
    expect((await http('GET', `${p.baseUrl}/v1/usage?from=1738317600&to=2025-01-31`, { key: o.key })).status).toBe(200);
  });

  const ENDPOINTS: Array<[string, string]> = [
    ['POST', '/v1/video/generations'],
    ['GET', '/v1/video/generations'],
    ['GET', '/v1/video/generations/{id}'],
    ['GET', '/v1/models'],
    ['GET', '/v1/models/{id}'],
    ['GET', '/v1/models/{id}/{id}'],
    ['POST', '/v1/responses'],
    ['GET', '/v1/responses/{id}'],
    ['DELETE', '/v1/responses/{id}'],
    ['POST', '/v1/responses/{id}/cancel'],
    ['GET', '/v1/engines'],
    ['GET', '/v1/usage'],
    ['GET', '/v1/billing/balance'],
    ['POST', '/v1/billing/checkout'],
    ['POST', '/v1/billing/stripe/webhook'],
    ['POST', '/v1/webhooks'],
    ['GET', '/v1/webhooks'],
    ['GET', '/v1/webhooks/{id}'],
    ['PATCH', '/v1/webhooks/{id}'],
    ['DELETE', '/v1/webhooks/{id}'],
    ['POST', '/v1/webhooks/{id}/rotate-secret'],
    ['POST', '/v1/webhooks/{id}/test'],
    ['GET', '/v1/webhooks/{id}/deliveries'],
    ['POST', '/v1/webhooks/{id}/deliveries/{id}/retry'],
    ['GET', '/v1/apps/rankings'],
    ['GET', '/v1/apps/rankings/settings'],
    ['PATCH', '/v1/apps/rankings/settings'],
    ['GET', '/admin/openapi.json'],
    ['GET', '/v1/keys'],
    ['POST', '/v1/keys'],
    ['POST', '/v1/keys/{id}/rotate'],
    ['DELETE', '/v1/keys/{id}'],
    ['POST', '/admin/orgs'],
    ['PATCH', '/admin/orgs/{id}'],
    ['POST', '/admin/orgs/{id}/keys'],
    ['POST', '/admin/orgs/{id}/credits'],
    ['PUT', '/v1/video/generations'],
    ['GET', '/{id}'],
  ];

  const hostileStrings = fc.constantFrom(
    '', ' ', '\u0000', '../../etc/passwd', '%00', '%2e%2e%2f', 'gen_', 'gen_abc', 'gen_' + 'a'.repeat(65), 'ep_abc', 'dlv_abc', 'key_abc', 'org_abc',
    '<script>alert(1)</script>', "'; DROP TABLE api_keys; --", '${jndi:ldap://x}', '__proto__', 'constructor', '💥'.repeat(50), 'a'.repeat(5000),
    'google/veo-3.1', 'NaN', '-1', '1e400', 'null', 'true', '[]', '{}', '2025-02-30', '0000-01-01', '99999999999',
    Buffer.from('2025-02-30T00:00:00Z|ep_x').toString('base64url'), Buffer.from('2026-11-30 24:00:00+00|gen_1').toString('base64url'),
  );
  const anyString = fc.oneof(hostileStrings, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
  const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));

  /** Valid bodies with one field replaced by garbage: reaches the deeper validation paths, downstream included. */
  const mutatedBody = fc
    .record({
      base: fc.constantFrom<Record<string, unknown>>(
        { model: 'google/veo-3.1', prompt: 'cat', duration: 6, aspectRatio: '16:9', options: { seed: 1 }, provider: { order: ['fal'], max_price: { per_request_cents: 500 } } },
        { model: 'moonshotai/kimi-k2.5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_image', image_url: { url: 'https://e.x/a.png' } }] }] },
        { name: 'k', kind: 'standard', grace_period_seconds: 0 },
        { url: 'http://127.0.0.1:9/hook', events: ['video.generation.completed'], enabled: true },
        { amount_cents: 500, success_url: 'https://e.x' },
      ),
      field: fc.constantFrom('model', 'models', 'prompt', 'duration', 'aspectRatio', 'resolution', 'imageUrl', 'withAudio', 'audio', 'provider', 'input', 'engine', 'width', 'height', 'name', 'kind', 'url', 'events', 'amount_cents', 'metadata', 'instructions', '__proto__', 'extra', 'options'),
      value: jsonish,
    })
    .map(({ base, field, value }) => JSON.stringify({ ...base, [field]: value }));
  const rawBody = fc.oneof(
    mutatedBody,
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constantFrom('{', '{"model":', '[1,2', 'null', '"str"', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"duration":1e400}', '\u0000', '{"prompt":"\\ud800"}', ''),
    anyString,
  );
  const auth = fc.constantFrom<'std' | 'mgmt' | 'admin' | 'none' | 'garbage' | 'wrongkey'>('std', 'std', 'std', 'mgmt', 'admin', 'none', 'garbage', 'wrongkey');
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1');
  const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });

  it('answers 2,000 generated hostile requests to every public endpoint with 4xx (or success), never 5xx', async () => {
    if (skip) return;
    const o = await orgWithKeys('hostile');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.array(fc.oneof(anyString, fc.constantFrom('gen_abc123', o.keyId, 'ep_0123abcd', o.orgId)), { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        rawBody,
        auth,
        contentType,
        fc.record({ idem: fc.option(headerValue), title: fc.option(headerValue), corr: fc.option(headerValue), referer: fc.option(headerValue), query: fc.option(fc.dictionary(fc.constantFrom('limit', 'before', 'from', 'to', 'cursor', 'window_hours', 'status'), anyString, { maxKeys: 3 })) }),
        async ([method, template], ids, encode, body, who, ct, extra) => {
          let i = 0;
          const path = template.replace(/\{id\}/g, () => {
            const id = ids[i++ % ids.length];
            return encode ? encodeURIComponent(id) : id.replace(/[^\x21-\x7e]/g, '').replace(/[?#]/g, '') || 'x';
          });
          const headers: Record<string, string> = {};
          const key = { std: o.key, mgmt: o.mgmtKey, admin: p.adminToken, none: '', garbage: 'pv_' + 'x'.repeat(33), wrongkey: 'not-a-key' }[who];
          if (key) headers.authorization = `Bearer ${key}`;
          if (ct) headers['content-type'] = ct;
          if (extra.idem !== null) headers['idempotency-key'] = extra.idem;
          if (extra.title !== null) headers['x-title'] = extra.title;
          if (extra.referer !== null) headers['http-referer'] = extra.referer;
          if (extra.corr !== null) headers['x-correlation-id'] = extra.corr;
          if (template.includes('stripe')) headers['stripe-signature'] = 'bad';
          const qs = extra.query ? '?' + new URLSearchParams(extra.query as Record<string, string>).toString() : '';
          const hasBody = method !== 'GET' && method !== 'HEAD';
          const r = await http(method, `${p.baseUrl}${path}${qs}`, { headers, raw: hasBody ? body : undefined });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          if (r.status >= 500) throw new Error(`${method} ${path}${qs} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)} (body ${body.slice(0, 200)})`);
          // Every error is in one of our two shapes, with a message a person can act on.
          if (r.status >= 400) expect(r.body?.error?.message).toEqual(expect.any(String));
        },
      ),
      { numRuns: 2000 },
    );
    // The run exercised the successful paths and the refusals.
    for (const status of [200, 400, 401, 404]) expect({ status, seen: (seen.get(status) ?? 0) > 0 }).toEqual({ status, seen: true });
    // Every service is still healthy, and a fresh org still gets a video made.
    const fresh = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'after the storm');
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: fresh.key, body: { model: 'google/veo-3.1', prompt: 'still alive' } });
    expect(created.status).toBe(200);
    const done = await waitFor('the generation ends', async () => {
      const g = await http('GET', `${p.baseUrl}/v1/video/generations/${created.body.id}`, { key: fresh.key });
      return ['completed', 'failed'].includes(g.body.status) ? g.body : undefined;
    }, 60_000);
    expect(done.status).toBe('completed');
  });
});
