import fc from 'fast-check';
import { installFakeDownstream } from './fake-downstream';
import { call, Harness, newOrg, startHarness } from './helpers';

/**
 * Property: whatever a client sends — malformed or hostile bodies, headers and ids — to any public
 * endpoint, the gateway answers with a client error (or success, when the input happens to be
 * valid), never a 5xx, and keeps serving.
 */
describe('hostile input (property-based)', () => {
  let h: Harness;
  let o: Awaited<ReturnType<typeof newOrg>>;
  beforeAll(async () => {
    h = await startHarness({ defaultRateLimitPerMinute: 1_000_000 });
    installFakeDownstream(h);
    o = await newOrg(h.url);
  });
  afterAll(async () => h?.close());

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
    'google/veo-3.1', 'NaN', '-1', '1e400', 'null', 'true', '[]', '{}',
  );
  const anyString = fc.oneof(hostileStrings, fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
  const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));

  /** Valid bodies with one or more fields replaced by garbage: reaches the deeper validation paths. */
  const mutatedBody = fc
    .record({
      base: fc.constantFrom<Record<string, unknown>>(
        { model: 'google/veo-3.1', prompt: 'cat', duration: 5, aspectRatio: '16:9', provider: { order: ['fal'], max_price: { per_request_cents: 5 } } },
        { model: 'moonshotai/kimi-k2.5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_image', image_url: { url: 'https://e.x/a.png' } }] }] },
        { name: 'k', kind: 'standard', grace_period_seconds: 0 },
        { url: 'https://example.com/h', events: ['video.generation.completed'], enabled: true },
        { amount_cents: 500, success_url: 'https://e.x' },
      ),
      field: fc.constantFrom('model', 'models', 'prompt', 'duration', 'aspectRatio', 'resolution', 'imageUrl', 'withAudio', 'audio', 'provider', 'input', 'engine', 'width', 'height', 'name', 'kind', 'url', 'events', 'amount_cents', 'metadata', 'instructions', '__proto__', 'extra'),
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

  it('never answers 5xx to 2,000 generated requests', async () => {
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
          const key = { std: o.key, mgmt: o.mgmtKey, admin: 'test-admin-token-0123456789', none: '', garbage: 'pv_' + 'x'.repeat(33), wrongkey: 'not-a-key' }[who];
          if (key) headers.authorization = `Bearer ${key}`;
          if (ct) headers['content-type'] = ct;
          if (extra.idem !== null) headers['idempotency-key'] = extra.idem;
          if (extra.title !== null) headers['x-title'] = extra.title;
          if (extra.referer !== null) headers['http-referer'] = extra.referer;
          if (extra.corr !== null) headers['x-correlation-id'] = extra.corr;
          if (template.includes('stripe')) headers['stripe-signature'] = 'bad';
          const qs = extra.query ? '?' + new URLSearchParams(extra.query as Record<string, string>).toString() : '';
          const hasBody = method !== 'GET' && method !== 'HEAD';
          const r = await call(h.url, method, path + qs, { headers, raw: hasBody ? body : undefined });
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          if (r.status >= 500) throw new Error(`${method} ${path}${qs} → ${r.status} ${r.text.slice(0, 300)} (body ${body.slice(0, 200)})`);
          if (r.status >= 400) {
            // Every error is in one of our two shapes.
            expect(r.body?.error?.message).toEqual(expect.any(String));
          }
        },
      ),
      { numRuns: 2000 },
    );
    // The run exercised the successful paths and the refusals (typically ~10% 200, the rest 400/401/403/404/415).
    for (const status of [200, 400, 401, 404]) expect({ status, seen: (seen.get(status) ?? 0) > 0 }).toEqual({ status, seen: true });
    // The gateway is still healthy (with a fresh org: the run may have rotated or revoked o's keys).
    const fresh = await newOrg(h.url, 'After');
    expect((await call(h.url, 'POST', '/v1/video/generations', { key: fresh.key, body: { model: 'google/veo-3.1', prompt: 'still alive' } })).status).toBe(200);
  }, 240_000);
});
