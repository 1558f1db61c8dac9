import { RPC } from '@pipevideo/contracts';
import { startGatewayService } from '../src';
import { installFakeDownstream } from './fake-downstream';
import { ADMIN_TOKEN, call, Harness, newOrg, sleep, startHarness } from './helpers';

describe('authentication, key kinds and key management', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    installFakeDownstream(h);
  });
  afterAll(async () => h?.close());

  const gen = (key?: string, headers: Record<string, string> = {}) => call(h.url, 'POST', '/v1/video/generations', { key, headers, body: { model: 'google/veo-3.1', prompt: 'a cat' } });

  it('refuses missing, malformed and unknown keys with 401 in the right shape', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /Missing API key/],
      [{ authorization: 'Basic abc' }, /Malformed/],
      [{ authorization: 'Bearer' }, /Malformed/],
      [{ authorization: 'Bearer pv_short' }, /Malformed/],
      [{ authorization: 'Bearer sk_0123456789012345678901234567890123456789' }, /Malformed/],
      [{ authorization: `Bearer pv_${'A'.repeat(40)}` }, /Invalid API key/],
    ];
    for (const [headers, msg] of cases) {
      const r = await call(h.url, 'POST', '/v1/video/generations', { headers, body: { model: 'm', prompt: 'p' } });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('UNAUTHORIZED');
      expect(r.body.error.message).toMatch(msg);
      expect(r.headers.get('x-correlation-id')).toBeTruthy();
    }
    const resp = await call(h.url, 'GET', '/v1/responses/gen_abc');
    expect(resp.status).toBe(401);
    expect(resp.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key', param: null });
    expect(resp.body.error.message).toMatch(/Missing API key/);
  });

  it('accepts a standard key on generation endpoints and refuses it on key management (403)', async () => {
    const o = await newOrg(h.url);
    expect(o.key).toMatch(/^pv_[A-Za-z0-9]{40}$/);
    expect((await gen(o.key)).status).toBe(200);
    const keys = await call(h.url, 'GET', '/v1/keys', { key: o.key });
    expect(keys.status).toBe(403);
    expect(keys.body.error.code).toBe('FORBIDDEN');
    expect(keys.body.error.message).toMatch(/management API key/);
  });

  it('refuses a management key on generation endpoints with 403 and a clear message', async () => {
    const o = await newOrg(h.url);
    const r = await gen(o.mgmtKey);
    expect(r.status).toBe(403);
    expect(r.body.error.message).toMatch(/Management API keys can only manage API keys/);
    const resp = await call(h.url, 'POST', '/v1/responses', { key: o.mgmtKey, body: { model: 'm', input: 'x' } });
    expect(resp.status).toBe(403);
    expect(resp.body.error.type).toBe('permission_error');
  });

  it('lists keys without secrets, creates, rotates with and without grace, and revokes', async () => {
    const o = await newOrg(h.url);
    const list = await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    for (const k of list.body.data) {
      expect(k).toMatchObject({ status: 'active', org_id: o.orgId });
      expect(k.prefix).toMatch(/^pv_/);
      expect(k.prefix.length).toBe(12);
      expect(JSON.stringify(k)).not.toMatch(/pv_[A-Za-z0-9]{20,}/);
      expect(k).not.toHaveProperty('key');
      expect(k).not.toHaveProperty('secret_hash');
    }
    expect(list.body.data.map((k: any) => k.kind).sort()).toEqual(['management', 'standard']);

    const created = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', kind: 'standard', status: 'active' });
    expect(created.body.key).toMatch(/^pv_/);
    expect((await gen(created.body.key)).status).toBe(200);

    // Rotation without grace: the old key stops at once, the new one works.
    const rot = await call(h.url, 'POST', `/v1/keys/${created.body.id}/rotate`, { key: o.mgmtKey });
    expect(rot.status).toBe(201);
    expect(rot.body.key).not.toBe(created.body.key);
    expect(rot.body.rotated_from).toBe(created.body.id);
    const old = await gen(created.body.key);
    expect(old.status).toBe(401);
    expect(old.body.error.message).toMatch(/expired/);
    expect((await gen(rot.body.key)).status).toBe(200);

    // Rotation with grace: both work until expires_at.
    const rot2 = await call(h.url, 'POST', `/v1/keys/${rot.body.id}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: 3600 } });
    expect(rot2.status).toBe(201);
    expect((await gen(rot.body.key)).status).toBe(200);
    expect((await gen(rot2.body.key)).status).toBe(200);
    const after = await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey });
    const graced = after.body.data.find((k: any) => k.id === rot.body.id);
    expect(graced.status).toBe('active');
    expect(graced.expires_at).toBeGreaterThan(Date.now() / 1000 + 3000);
    // A rotated (expired) key cannot be rotated again.
    expect((await call(h.url, 'POST', `/v1/keys/${created.body.id}/rotate`, { key: o.mgmtKey })).status).toBe(409);

    const del = await call(h.url, 'DELETE', `/v1/keys/${rot2.body.id}`, { key: o.mgmtKey });
    expect(del.status).toBe(200);
    expect(del.body.status).toBe('revoked');
    const revoked = await gen(rot2.body.key);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toMatch(/revoked/);
  });

  it('validates key-management input with field messages', async () => {
    const o = await newOrg(h.url);
    const r = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: '', kind: 'root' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: any) => d.field).sort()).toEqual(['kind', 'name']);
    const g = await call(h.url, 'POST', `/v1/keys/${o.keyId}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: -5 } });
    expect(g.status).toBe(400);
    expect(g.body.error.message).toMatch(/grace_period_seconds must be a non-negative integer/);
    expect((await call(h.url, 'DELETE', '/v1/keys/not-a-key', { key: o.mgmtKey })).status).toBe(404);
  });

  it('updates last_used_at when a key is used', async () => {
    const o = await newOrg(h.url);
    await gen(o.key);
    // The write is fire-and-forget (off the request path): wait for it, bounded.
    let lastUsed: unknown = null;
    for (let end = Date.now() + 5000; lastUsed === null && Date.now() < end; await sleep(50)) {
      const list = await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey });
      lastUsed = list.body.data.find((k: any) => k.id === o.keyId).last_used_at;
    }
    expect(lastUsed).toEqual(expect.any(Number));
  });

  it('a revoked key fails on another gateway replica within the cache TTL (500 ms)', async () => {
    const replica = await startGatewayService({ messaging: { kind: 'inprocess', wiring: h.wiring }, databaseUrl: h.db.url, port: 0, adminToken: ADMIN_TOKEN });
    try {
      const o = await newOrg(h.url);
      const onReplica = () => call(replica.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'x' } });
      expect((await onReplica()).status).toBe(200); // now cached on the replica
      expect((await call(h.url, 'DELETE', `/v1/keys/${o.keyId}`, { key: o.mgmtKey })).status).toBe(200);
      await sleep(600);
      expect((await onReplica()).status).toBe(401);
    } finally {
      await replica.close();
    }
  });

  describe('operator API', () => {
    it('needs the operator token, compares it exactly, and validates input', async () => {
      expect((await call(h.url, 'POST', '/admin/orgs', { body: { name: 'x' } })).status).toBe(401);
      expect((await call(h.url, 'POST', '/admin/orgs', { key: ADMIN_TOKEN + 'x', body: { name: 'x' } })).status).toBe(401);
      const o = await newOrg(h.url);
      // An API key is not an operator token.
      expect((await call(h.url, 'POST', '/admin/orgs', { key: o.key, body: { name: 'x' } })).status).toBe(401);
      const bad = await call(h.url, 'POST', '/admin/orgs', { key: ADMIN_TOKEN, body: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/name is required/);
      expect((await call(h.url, 'POST', '/admin/orgs/org_nope/keys', { key: ADMIN_TOKEN, body: { name: 'k' } })).status).toBe(404);
    });

    it('adds credits through billing with source operator and answers the balance', async () => {
      const o = await newOrg(h.url);
      const r = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/credits`, { key: ADMIN_TOKEN, body: { amount_cents: 1500, idempotency_key: 'seed-1' } });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ orgId: o.orgId, balance_cents: 1500 });
      const topup = h.calls.filter((c) => c.subject === RPC.billing.topupCreate).pop()!;
      expect(topup.data).toMatchObject({ orgId: o.orgId, amountCents: 1500, idempotencyKey: 'seed-1', source: 'operator' });
      expect((await call(h.url, 'POST', `/admin/orgs/${o.orgId}/credits`, { key: ADMIN_TOKEN, body: { amount_cents: 0 } })).status).toBe(400);
    });

    it('is disabled (404) when no admin token is configured', async () => {
      const off = await startGatewayService({ messaging: { kind: 'inprocess', wiring: h.wiring }, databaseUrl: h.db.url, port: 0, adminToken: '' });
      try {
        const r = await call(off.url, 'POST', '/admin/orgs', { key: 'anything', body: { name: 'x' } });
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('NOT_FOUND');
      } finally {
        await off.close();
      }
    });

    it('exports createOrg / issueApiKey for the embedded launcher', async () => {
      const org = await h.gw.orgs.createOrg('Embedded');
      const key = await h.gw.orgs.issueApiKey(org.id, 'default');
      expect(org.id).toMatch(/^org_/);
      expect(key.key).toMatch(/^pv_/);
      expect((await gen(key.key)).status).toBe(200);
    });
  });
});
