import { installFakeDownstream } from './fake-downstream';
import { call, Harness, newOrg, startHarness } from './helpers';

/** Org A's key must see org B's resources as nonexistent (404) on every endpoint that takes an id. */
describe('cross-org isolation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ defaultRateLimitPerMinute: 10_000 });
    installFakeDownstream(h);
  });
  afterAll(async () => h?.close());

  it('answers 404 for another org’s ids everywhere', async () => {
    const a = await newOrg(h.url, 'A');
    const b = await newOrg(h.url, 'B');
    const gen = await call(h.url, 'POST', '/v1/video/generations', { key: b.key, body: { model: 'google/veo-3.1', prompt: 'b' } });
    const resp = await call(h.url, 'POST', '/v1/responses', { key: b.key, body: { model: 'm', input: 'b' } });
    const ep = await call(h.url, 'POST', '/v1/webhooks', { key: b.key, body: { url: 'https://b.example/h' } });
    const dl = await call(h.url, 'GET', `/v1/webhooks/${ep.body.id}/deliveries`, { key: b.key });
    const dlv = dl.body.data[0].id;
    // B sees its own resources.
    expect((await call(h.url, 'GET', `/v1/video/generations/${gen.body.id}`, { key: b.key })).status).toBe(200);
    expect((await call(h.url, 'GET', `/v1/responses/${resp.body.id}`, { key: b.key })).status).toBe(200);
    expect((await call(h.url, 'GET', `/v1/webhooks/${ep.body.id}`, { key: b.key })).status).toBe(200);

    const attempts: Array<[string, string, string, unknown?]> = [
      ['GET', `/v1/video/generations/${gen.body.id}`, a.key],
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
      const r = await call(h.url, method, path, { key, body });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 404 });
      if (path.startsWith('/v1/responses')) expect(r.body.error.type).toBe('invalid_request_error');
      else expect(r.body.error.code).toBe('NOT_FOUND');
    }
    // Lists never show the other org's things.
    expect((await call(h.url, 'GET', '/v1/video/generations', { key: a.key })).body.data).toEqual([]);
    expect((await call(h.url, 'GET', '/v1/webhooks', { key: a.key })).body.data).toEqual([]);
    expect((await call(h.url, 'GET', '/v1/keys', { key: a.mgmtKey })).body.data.map((k: any) => k.org_id)).toEqual([a.orgId, a.orgId]);
    // And B's things are untouched.
    expect((await call(h.url, 'GET', `/v1/webhooks/${ep.body.id}`, { key: b.key })).status).toBe(200);
    expect((await call(h.url, 'GET', `/v1/video/generations`, { key: b.key, headers: {} })).status).toBe(200);
    expect((await call(h.url, 'POST', '/v1/video/generations', { key: b.key, body: { model: 'm', prompt: 'still works' } })).status).toBe(200);
  });
});
