import { RPC } from '@pipevideo/contracts';
import { call, Harness, newOrg, startHarness } from './helpers';

describe('downstream services down or slow → fast 503', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ rpcTimeoutMs: 300 });
    // Billing answers nothing at all (a dead service); the router hangs (a slow one).
    h.stub(RPC.router.generationCreate, () => new Promise(() => undefined));
    h.stub(RPC.router.responseGet, () => {
      throw new Error('kaboom with secret internals');
    });
  });
  afterAll(async () => h?.close());

  it('answers 503 SERVICE_UNAVAILABLE in both shapes, and hides internal errors behind 500', async () => {
    const o = await newOrg(h.url);
    const dead = await call(h.url, 'GET', '/v1/billing/balance', { key: o.key });
    expect(dead.status).toBe(503);
    expect(dead.body.error.code).toBe('SERVICE_UNAVAILABLE');
    const slow = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'm', prompt: 'p' } });
    expect(slow.status).toBe(503);
    expect(slow.body.error.message).toMatch(/router service unavailable/);
    const resp = await call(h.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'm', input: 'x' } });
    expect(resp.status).toBe(503);
    expect(resp.body.error).toMatchObject({ type: 'server_error', code: 'service_unavailable' });
    const crash = await call(h.url, 'GET', '/v1/responses/gen_abc', { key: o.key });
    expect(crash.status).toBe(500);
    expect(crash.text).not.toMatch(/secret internals/);
    // Operator credits need billing too.
    const credits = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/credits`, { key: 'test-admin-token-0123456789', body: { amount_cents: 100 } });
    expect(credits.status).toBe(503);
  });
});
