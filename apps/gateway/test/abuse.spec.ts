import { RPC } from '@pipevideo/contracts';
import { PoisonEventError, trustedProxies } from '@pipevideo/platform';
import { RunningGateway, startGatewayService } from '../src';
import { installFakeDownstream } from './fake-downstream';
import { ADMIN_TOKEN, call, Harness, newOrg, startHarness } from './helpers';

const admin = (url: string, method: string, path: string, body?: unknown) => call(url, method, path, { key: ADMIN_TOKEN, body });

describe('abuse resistance: limits per org and per IP, key cap, suspension, operator revoke, audit log', () => {
  let h: Harness;
  let replica: RunningGateway;
  beforeAll(async () => {
    h = await startHarness({ defaultRateLimitPerMinute: 1000, defaultOrgRateLimitPerMinute: 100_000, ipRateLimitPerMinute: 100_000 });
    installFakeDownstream(h);
    replica = await startGatewayService({ messaging: { kind: 'inprocess', wiring: h.wiring }, databaseUrl: h.db.url, port: 0, adminToken: ADMIN_TOKEN, defaultRateLimitPerMinute: 1000 });
  });
  afterAll(async () => {
    await replica?.close();
    await h?.close();
  });

  it("limits the org's requests summed over all its keys, across replicas: more keys buy nothing", async () => {
    const o = await newOrg(h.url, 'Many keys', {});
    expect((await admin(h.url, 'PATCH', `/admin/orgs/${o.orgId}`, { org_rate_limit_per_minute: 10 })).body.org_rate_limit_per_minute).toBe(10);
    const keys = [o.key];
    for (let i = 0; i < 3; i++) keys.push((await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: `k${i}` } })).body.key);
    const statuses: number[] = [];
    let refusal: any;
    for (let i = 0; i < 40; i++) {
      const r = await call(i % 2 ? replica.url : h.url, 'GET', '/v1/video/generations', { key: keys[i % keys.length] });
      statuses.push(r.status);
      if (r.status === 429) refusal = r;
    }
    const ok = statuses.filter((s) => s === 200).length;
    // 10 per sliding minute for the whole org (at most 10 more if the minute rolled over mid-test), never 40.
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(20);
    expect(refusal.body.error.message).toMatch(/10 requests per minute for this organization \(all of its API keys together\)/);
    expect(refusal.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(Number(refusal.headers.get('retry-after'))).toBe(refusal.body.error.retry_after);
    // Another org is not affected.
    const other = await newOrg(h.url, 'Quiet');
    expect((await call(replica.url, 'GET', '/v1/video/generations', { key: other.key })).status).toBe(200);
    const metrics = await call(h.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/pipevideo_gateway_rate_limited_total\{[^}]*limit="org"[^}]*\} [1-9]/);
  });

  it('caps live keys per org, exactly under concurrent creates; rotation needs no free slot; revoking frees one', async () => {
    const o = await newOrg(h.url, 'Capped'); // 2 live keys (standard + management)
    await admin(h.url, 'PATCH', `/admin/orgs/${o.orgId}`, { max_keys: 5 });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => call(i % 2 ? replica.url : h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: `c${i}` } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 409 && /already has 5 active API keys, its limit is 5/.test(r.body.error.message))).toBe(true);
    expect((await admin(h.url, 'POST', `/admin/orgs/${o.orgId}/keys`, { name: 'one more' })).status).toBe(409);
    expect((await call(h.url, 'POST', `/v1/keys/${o.keyId}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: 60 } })).status).toBe(201);
    expect((await call(h.url, 'DELETE', `/v1/keys/${results.find((r) => r.status === 201)!.body.id}`, { key: o.mgmtKey })).status).toBe(200);
    expect((await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'after revoke' } })).status).toBe(201);
    // null restores the default (50).
    expect((await admin(h.url, 'PATCH', `/admin/orgs/${o.orgId}`, { max_keys: null })).body.max_keys).toBeNull();
    expect((await admin(h.url, 'PATCH', `/admin/orgs/${o.orgId}`, { max_keys: 0 })).status).toBe(400);
  });

  it('a key is rotated at most once: a key in its grace period has one live successor, even under concurrent rotations', async () => {
    const o = await newOrg(h.url, 'Rotator');
    const first = await call(h.url, 'POST', `/v1/keys/${o.keyId}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: 3600 } });
    expect(first.status).toBe(201);
    const again = await call(h.url, 'POST', `/v1/keys/${o.keyId}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: 3600 } });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(`already rotated into ${first.body.id}`);
    const fresh = await call(h.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'fresh' } });
    const racing = await Promise.all([h.url, replica.url, h.url, replica.url].map((u) => call(u, 'POST', `/v1/keys/${fresh.body.id}/rotate`, { key: o.mgmtKey, body: { grace_period_seconds: 60 } })));
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 409)).toHaveLength(3);
    const listed = (await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey })).body.data;
    expect(listed.filter((k: any) => k.rotated_from === fresh.body.id || racing.some((r) => r.status === 201 && r.body.id === k.id))).toHaveLength(1);
  });

  it('suspends and resumes an org: its keys answer 403 with the reason, on every replica; everything is in the audit log', async () => {
    const o = await newOrg(h.url, 'Suspect');
    expect((await admin(h.url, 'POST', `/admin/orgs/${o.orgId}/suspend`, {})).status).toBe(400);
    expect((await admin(h.url, 'POST', '/admin/orgs/org_doesnotexist/suspend', { reason: 'x' })).status).toBe(404);
    const s = await admin(h.url, 'POST', `/admin/orgs/${o.orgId}/suspend`, { reason: 'chargeback under review' });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ status: 'suspended', suspended_reason: 'chargeback under review' });
    const refused = await call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'p' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.body.error.message).toMatch(/organization is suspended \(chargeback under review\).*until the operator resumes it/);
    expect((await call(h.url, 'GET', '/v1/keys', { key: o.mgmtKey })).status).toBe(403);
    // The other replica's key cache expires within 500 ms.
    await new Promise((r) => setTimeout(r, 600));
    expect((await call(replica.url, 'GET', '/v1/video/generations', { key: o.key })).status).toBe(403);
    const resp = await call(replica.url, 'GET', '/v1/responses/gen_abc', { key: o.key });
    expect(resp.body.error).toMatchObject({ type: 'permission_error' });
    expect((await admin(h.url, 'POST', `/admin/orgs/${o.orgId}/resume`)).body.status).toBe('active');
    expect((await call(h.url, 'GET', '/v1/video/generations', { key: o.key })).status).toBe(200);

    const log = await admin(h.url, 'GET', `/admin/audit-log?org_id=${o.orgId}`);
    expect(log.status).toBe(200);
    expect(log.body.data.map((e: any) => e.action)).toEqual(['org.resume', 'org.suspend', 'key.issue', 'key.issue', 'org.create']);
    expect(log.body.data[1]).toMatchObject({ org_id: o.orgId, target: o.orgId, details: { reason: 'chargeback under review' } });
    expect(log.body.data[1].correlation_id).toBeTruthy();
    // Never a secret: issued keys are recorded by id.
    expect(JSON.stringify(log.body)).not.toMatch(/pv_[A-Za-z0-9]{40}/);
    const page1 = await admin(h.url, 'GET', `/admin/audit-log?org_id=${o.orgId}&limit=2`);
    expect(page1.body.has_more).toBe(true);
    const page2 = await admin(h.url, 'GET', `/admin/audit-log?org_id=${o.orgId}&limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body.data.map((e: any) => e.action)).toEqual(['key.issue', 'key.issue']);
    expect((await admin(h.url, 'GET', '/admin/audit-log?cursor=bogus')).status).toBe(400);
    expect((await admin(h.url, 'GET', '/admin/audit-log?org_id=nope')).status).toBe(404);
    expect((await call(h.url, 'GET', '/admin/audit-log')).status).toBe(401);
  });

  it('the operator revokes any key by id; the key is refused at once and the revoke is audited', async () => {
    const o = await newOrg(h.url, 'Leaky');
    expect((await admin(h.url, 'DELETE', '/admin/keys/key_unknown0')).status).toBe(404);
    const r = await admin(h.url, 'DELETE', `/admin/keys/${o.keyId}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: o.keyId, status: 'revoked', org_id: o.orgId });
    const after = await call(h.url, 'GET', '/v1/video/generations', { key: o.key });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/revoked/);
    const keys = await admin(h.url, 'GET', `/admin/orgs/${o.orgId}/keys`);
    expect(keys.body.data.find((k: any) => k.id === o.keyId).status).toBe('revoked');
    const log = await admin(h.url, 'GET', `/admin/audit-log?action=key.revoke&org_id=${o.orgId}`);
    expect(log.body.data).toEqual([expect.objectContaining({ action: 'key.revoke', target: o.keyId })]);
  });

  it('passes the org cap on generations in flight, and the key and its spend limit, to the router from every create face; answers its refusal with 429 + retry_after', async () => {
    // A router stand-in of its own: the real cap is the router's (tests/e2e: concurrent creates at the cap).
    const g = await startHarness();
    try {
      const atCap = (d: any) => {
        throw Object.assign(new Error(`Too many generations in flight: limit ${d.maxInFlight}`), { code: 'TOO_MANY_REQUESTS', details: { retry_after: 10 } });
      };
      g.stub(RPC.router.generationCreate, atCap);
      g.stub(RPC.router.responseCreate, atCap);
      g.stub(RPC.router.videoCreate, atCap);
      const o = await newOrg(g.url, 'Busy');
      await admin(g.url, 'PATCH', `/admin/orgs/${o.orgId}`, { max_concurrent_generations: 2 });
      await new Promise((r) => setTimeout(r, 600)); // the key cache forgets the old limit
      const v = await call(g.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'p' } });
      expect(v.status).toBe(429);
      expect(v.body).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', message: 'Too many generations in flight: limit 2', retry_after: 10 } });
      const r = await call(g.url, 'POST', '/v1/responses', { key: o.key, body: { model: 'moonshotai/kimi-k2.5', input: 'a cat' } });
      expect(r.status).toBe(429);
      expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', retry_after: 10 });
      expect(r.headers.get('retry-after')).toBe('10');
      // The OpenAI Videos face too: it once sent neither the cap nor the key (unlimited creates on a capped key).
      const capped = await call(g.url, 'POST', '/v1/keys', { key: o.mgmtKey, body: { name: 'capped', limit_cents: 100, limit_reset: 'daily' } });
      const ov = await call(g.url, 'POST', '/v1/videos', { key: capped.body.key, body: { model: 'google/veo-3.1', prompt: 'p' } });
      expect(ov.status).toBe(429);
      expect(g.calls.map((c) => c.data.maxInFlight)).toEqual([2, 2, 2]);
      expect(g.calls.map((c) => c.data.keyId)).toEqual([o.keyId, o.keyId, capped.body.id]);
      expect(g.calls[2].data.keyLimit).toEqual({ limitCents: 100, reset: 'daily' });
      expect((await call(g.url, 'GET', '/metrics')).text).toMatch(/pipevideo_gateway_rate_limited_total\{[^}]*limit="concurrency"[^}]*\} 3/);
    } finally {
      await g.close();
    }
  });
});

describe('per-IP limits on requests without a valid key', () => {
  const saved = process.env.PIPEVIDEO_TRUSTED_PROXIES;
  afterEach(() => {
    if (saved === undefined) delete process.env.PIPEVIDEO_TRUSTED_PROXIES;
    else process.env.PIPEVIDEO_TRUSTED_PROXIES = saved;
  });

  it('counts public endpoints and failed authentications per client IP; X-Forwarded-For is ignored from untrusted peers', async () => {
    delete process.env.PIPEVIDEO_TRUSTED_PROXIES;
    const h = await startHarness({ ipRateLimitPerMinute: 6 });
    installFakeDownstream(h);
    try {
      const statuses: number[] = [];
      // Every request claims another client address: without a trusted proxy it is the socket's address that counts.
      for (let i = 0; i < 4; i++) statuses.push((await call(h.url, 'GET', '/v1/models', { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status);
      for (let i = 0; i < 4; i++) statuses.push((await call(h.url, 'GET', '/v1/video/generations', { key: 'pv_' + 'Q'.repeat(40), headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status);
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(statuses.slice(4, 6)).toEqual([401, 401]);
      expect(statuses.slice(6)).toEqual([429, 429]);
      const r = await call(h.url, 'GET', '/openapi.json');
      expect(r.status).toBe(429);
      expect(r.body.error.message).toMatch(/6 requests per minute for unauthenticated requests from this IP address/);
      expect(r.body.error.retry_after).toBeGreaterThanOrEqual(1);
      expect((await call(h.url, 'GET', '/docs')).status).toBe(429);
      // Health and metrics are not limited (probes and scrapers).
      expect((await call(h.url, 'GET', '/health/live')).status).toBe(200);
      expect((await call(h.url, 'GET', '/metrics')).text).toMatch(/pipevideo_gateway_rate_limited_total\{[^}]*limit="ip"[^}]*\} [1-9]/);
    } finally {
      await h.close();
    }
  });

  it('believes X-Forwarded-For only from the proxies named in PIPEVIDEO_TRUSTED_PROXIES', async () => {
    process.env.PIPEVIDEO_TRUSTED_PROXIES = '127.0.0.0/8, ::1';
    const h = await startHarness({ ipRateLimitPerMinute: 3 });
    installFakeDownstream(h);
    try {
      const from = (ip: string) => call(h.url, 'GET', '/v1/engines', { headers: { 'x-forwarded-for': ip } });
      const a = [];
      for (let i = 0; i < 4; i++) a.push((await from('203.0.113.7')).status);
      expect(a).toEqual([200, 200, 200, 429]);
      // Another client behind the same proxy has its own budget.
      expect((await from('203.0.113.8')).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('reads the trusted proxies as IPs and CIDRs, and refuses anything else at start', () => {
    expect(trustedProxies('')).toBe(false);
    expect(trustedProxies(' 10.0.0.0/8, 192.168.1.5 ,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    for (const bad of ['loadbalancer.internal', '10.0.0.0/33', '10.0.0.1/8/9', 'true'])
      expect(() => trustedProxies(bad)).toThrow(/PIPEVIDEO_TRUSTED_PROXIES: ".*" is not an IP address or CIDR/);
  });
});

describe('operator API over dead letters', () => {
  it('lists, inspects, replays and discards dead letters; replays and discards are audited', async () => {
    const h = await startHarness();
    try {
      const runs: string[] = [];
      let fixed = false;
      await h.wiring.events.subscribe('billing-stand-in', ['generation.finished'], async (_s, payload) => {
        const e = JSON.parse(payload);
        if (!fixed) throw new PoisonEventError(`no hold ${e.holdId}`);
        runs.push(e.eventId);
      });
      for (const n of [1, 2]) await h.wiring.events.publish('generation.finished', `evt-${n}`, JSON.stringify({ eventId: `evt-${n}`, orgId: 'org_abc', holdId: `gen_x:${n}` }));

      const list = await admin(h.url, 'GET', '/admin/dead-letters');
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ object: 'list', has_more: false, total: 2 });
      const [first, second] = list.body.data;
      expect(first).toMatchObject({
        object: 'dead_letter', consumer: 'billing-stand-in', subject: 'generation.finished', event_id: 'evt-1', deliveries: 1,
        error: 'PoisonEventError: no hold gen_x:1', event: { eventId: 'evt-1', orgId: 'org_abc', holdId: 'gen_x:1' },
      });
      expect((await admin(h.url, 'GET', '/admin/dead-letters?limit=1')).body).toMatchObject({ has_more: true, data: [{ id: first.id }] });
      expect((await admin(h.url, 'GET', `/admin/dead-letters?after=${first.id}`)).body.data.map((l: any) => l.id)).toEqual([second.id]);
      expect((await admin(h.url, 'GET', `/admin/dead-letters/${second.id}`)).body.event_id).toBe('evt-2');
      for (const bad of ['abc', '999999']) expect((await admin(h.url, 'GET', `/admin/dead-letters/${bad}`)).status).toBe(404);
      expect((await admin(h.url, 'GET', '/admin/dead-letters?limit=0')).status).toBe(400);
      expect((await call(h.url, 'GET', '/admin/dead-letters')).status).toBe(401);

      fixed = true;
      const replayed = await admin(h.url, 'POST', `/admin/dead-letters/${first.id}/replay`);
      expect(replayed.status).toBe(200);
      for (let i = 0; i < 100 && !runs.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(runs).toEqual(['evt-1']);
      expect((await admin(h.url, 'POST', `/admin/dead-letters/${first.id}/replay`)).status).toBe(404);
      expect((await admin(h.url, 'DELETE', `/admin/dead-letters/${second.id}`)).status).toBe(200);
      expect((await admin(h.url, 'GET', '/admin/dead-letters')).body).toMatchObject({ data: [], total: 0 });
      const log = await admin(h.url, 'GET', '/admin/audit-log?org_id=org_abc');
      expect(log.body.data.map((e: any) => [e.action, e.target])).toEqual([
        ['dead_letter.discard', second.id],
        ['dead_letter.replay', first.id],
      ]);
    } finally {
      await h.close();
    }
  });
});
