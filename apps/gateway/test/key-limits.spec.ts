import { keyLimitWindow, RPC } from '@pipevideo/contracts';
import { installFakeDownstream } from './fake-downstream';
import { ADMIN_TOKEN, call, Harness, newOrg, startHarness } from './helpers';

/** Key spend limits at the gateway: set on create and PATCH (both APIs), sent with every create, remaining shown by GET /v1/keys. */
describe('key spend limits', () => {
  let h: Harness;
  const spent = new Map<string, number>();
  beforeAll(async () => {
    h = await startHarness();
    installFakeDownstream(h);
    h.stub(RPC.billing.keySpend, (d: { keys: Array<{ keyId: string; reset: 'daily' | 'weekly' | 'monthly' | 'none' }> }) => ({
      data: d.keys.map((k) => ({ keyId: k.keyId, spentCents: spent.get(k.keyId) ?? 0, windowStart: keyLimitWindow(k.reset).start.toISOString(), resetsAt: keyLimitWindow(k.reset).resetsAt?.toISOString() ?? null })),
    }));
  });
  afterAll(async () => h?.close());

  it('a limit set at create travels with the creates of that key; GET /v1/keys shows what is left and when it resets', async () => {
    const o = await newOrg(h.url);
    const created = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'capped', limit_cents: 500, limit_reset: 'daily' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ limit_cents: 500, limit_reset: 'daily' });
    spent.set(created.body.id, 120);

    const gen = await call(h.url, 'POST', '/v1/video/generations', { key: created.body.key, body: { model: 'google/veo-3.1', prompt: 'a cat' } });
    expect(gen.status).toBe(200);
    const msg = h.calls.filter((c) => c.subject === RPC.router.generationCreate).at(-1)!.data;
    expect(msg).toMatchObject({ keyId: created.body.id, keyLimit: { limitCents: 500, reset: 'daily' } });
    // A key without a limit still names itself (its holds are tagged), without a limit.
    await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'a cat' } });
    const plain = h.calls.filter((c) => c.subject === RPC.router.generationCreate).at(-1)!.data;
    expect(plain.keyId).toBe(o.keyId);
    expect(plain.keyLimit).toBeUndefined();

    const list = await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey });
    const capped = list.body.data.find((k: any) => k.id === created.body.id);
    expect(capped).toMatchObject({ limit_cents: 500, limit_reset: 'daily', limit_remaining_cents: 380, limit_resets_at: Math.floor(keyLimitWindow('daily').resetsAt!.getTime() / 1000) });
    expect(list.body.data.find((k: any) => k.id === o.keyId)).toMatchObject({ limit_cents: null, limit_reset: null, limit_remaining_cents: null, limit_resets_at: null });
  });

  it('PATCH sets, changes and removes a limit (keys API and operator API); the next create carries the new one', async () => {
    const o = await newOrg(h.url);
    const set = await call(h.url, 'PATCH', `/v1/keys/${o.keyId}`, { key: o.mgmtKey, body: { limit_cents: 2000, limit_reset: 'monthly' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: o.keyId, limit_cents: 2000, limit_reset: 'monthly', limit_remaining_cents: 2000 });
    await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'a cat' } });
    expect(h.calls.filter((c) => c.subject === RPC.router.generationCreate).at(-1)!.data.keyLimit).toEqual({ limitCents: 2000, reset: 'monthly' });

    const op = await call(h.url, 'PATCH', `/admin/orgs/${o.orgId}/keys/${o.keyId}`, { key: ADMIN_TOKEN, body: { limit_cents: 50 } });
    expect(op.body).toMatchObject({ limit_cents: 50, limit_reset: 'none' });
    const removed = await call(h.url, 'PATCH', `/v1/keys/${o.keyId}`, { key: o.mgmtKey, body: { limit_cents: null } });
    expect(removed.body).toMatchObject({ limit_cents: null, limit_reset: null, limit_remaining_cents: null });
    await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'a cat' } });
    expect(h.calls.filter((c) => c.subject === RPC.router.generationCreate).at(-1)!.data.keyLimit).toBeUndefined();

    // Issued by the operator with a limit; rotation keeps it.
    const issued = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/keys`, { key: ADMIN_TOKEN, body: { name: 'ops', limit_cents: 75, limit_reset: 'weekly' } });
    expect(issued.body).toMatchObject({ limit_cents: 75, limit_reset: 'weekly' });
    const rotated = await call(h.url, 'POST', `/v1/keys/${issued.body.id}/rotate`, { key: o.mgmtKey });
    expect(rotated.body).toMatchObject({ limit_cents: 75, limit_reset: 'weekly' });
  });

  it('malformed limits are 400s a person can act on; another org’s key is a 404', async () => {
    const o = await newOrg(h.url);
    const other = await newOrg(h.url, 'Other');
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/v1/keys', { name: 'x', limit_cents: -1 }, /limit_cents must be a non-negative integer number of cents/],
      ['POST', '/v1/keys', { name: 'x', limit_cents: 1.5 }, /limit_cents must be a non-negative integer number of cents/],
      ['POST', '/v1/keys', { name: 'x', limit_cents: 10, limit_reset: 'hourly' }, /limit_reset must be one of daily, weekly, monthly, none/],
      ['POST', '/v1/keys', { name: 'x', limit_reset: 'daily' }, /limit_reset needs limit_cents/],
      ['PATCH', `/v1/keys/${o.keyId}`, {}, /limit_cents is required/],
      ['PATCH', `/v1/keys/${o.keyId}`, { limit_cents: '100' }, /limit_cents must be a non-negative integer/],
      ['PATCH', `/v1/keys/${o.keyId}`, { limit_cents: 10, extra: 1 }, /extra is not a known field/],
    ];
    for (const [method, path, body, msg] of cases) {
      const r = await call(h.url, method, path, { key: o.mgmtKey, body });
      expect([r.status, r.body.error.message]).toEqual([400, expect.stringMatching(msg)]);
    }
    expect((await call(h.url, 'PATCH', `/v1/keys/${other.keyId}`, { key: o.mgmtKey, body: { limit_cents: 1 } })).status).toBe(404);
    expect((await call(h.url, 'PATCH', `/v1/keys/${o.keyId}`, { key: o.key, body: { limit_cents: 1 } })).status).toBe(403);
  });

  it('lists keys without the remaining limit while billing cannot answer', async () => {
    const o = await newOrg(h.url);
    await call(h.url, 'PATCH', `/v1/keys/${o.keyId}`, { key: o.mgmtKey, body: { limit_cents: 10 } });
    h.stub(RPC.billing.keySpend, () => {
      throw Object.assign(new Error('down'), { code: 'SERVICE_UNAVAILABLE' });
    });
    const list = await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey });
    expect(list.status).toBe(200);
    expect(list.body.data.find((k: any) => k.id === o.keyId)).toMatchObject({ limit_cents: 10, limit_remaining_cents: null });
  });
});
