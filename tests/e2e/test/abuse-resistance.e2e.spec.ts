import { http, pollGeneration, waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, issueKey, Platform } from './harness/platform';

jest.setTimeout(180_000);

/**
 * Issue 20 over HTTP against the whole platform with two gateway processes: limits that hold per org
 * (summed over its keys) and per IP whichever replica answers, the org's cap on generations in flight
 * (exact under concurrent creates through both replicas), suspension and the operator's revoke reaching
 * both replicas, and the audit log of it all.
 */
describe('abuse resistance (microservices, two gateway replicas)', () => {
  let p: Platform;
  let skip = false;
  let second: string;
  const admin = (method: string, path: string, body?: unknown) => http(method, `${p.baseUrl}${path}`, { headers: { authorization: `Bearer ${p.adminToken}` }, body });

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_IP_RATE_LIMIT_PER_MINUTE: '20' } }));
    if (!skip) second = await p.startGatewayReplica();
  });
  afterAll(async () => p?.stop());

  it("the org's request limit is the sum over all its keys, whichever replica answers", async () => {
    if (skip) return;
    const o = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'many keys');
    expect((await admin('PATCH', `/admin/orgs/${o.orgId}`, { org_rate_limit_per_minute: 12 })).status).toBe(200);
    const keys = [o.key, (await issueKey(p.baseUrl, p.adminToken, o.orgId)).key, (await issueKey(p.baseUrl, p.adminToken, o.orgId)).key];
    const answers = [];
    for (let i = 0; i < 48; i++) answers.push(await http('GET', `${i % 2 ? second : p.baseUrl}/v1/video/generations`, { key: keys[i % 3] }));
    const ok = answers.filter((r) => r.status === 200).length;
    // 12 per sliding minute for the org (at most 12 more if the minute rolled over during the loop), not 48.
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThanOrEqual(24);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.body.error.message).toMatch(/12 requests per minute for this organization/);
    expect(refused.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBe(refused.body.error.retry_after);
    expect(answers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });

  it("caps the org's generations in flight exactly under concurrent creates on both replicas; a finished one frees a slot", async () => {
    if (skip) return;
    const o = await createFundedOrg(p.baseUrl, p.adminToken, 50_000, 'busy');
    expect((await admin('PATCH', `/admin/orgs/${o.orgId}`, { max_concurrent_generations: 3 })).body.max_concurrent_generations).toBe(3);
    await new Promise((r) => setTimeout(r, 600)); // both replicas' key caches (500 ms) see the new cap
    const creates = await Promise.all(
      Array.from({ length: 10 }, (_, i) => http('POST', `${i % 2 ? second : p.baseUrl}/v1/video/generations`, { key: o.key, body: { model: 'google/veo-3.1', prompt: `cat ${i}` } })),
    );
    const accepted = creates.filter((r) => r.status === 200);
    const refused = creates.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(3);
    expect(refused).toHaveLength(7);
    expect(refused[0].body.error.message).toMatch(/Too many generations in flight: this organization has 3 pending or processing, its limit is 3/);
    expect(refused[0].body.error.retry_after).toBeGreaterThanOrEqual(1);
    for (const a of accepted) expect((await pollGeneration(p.baseUrl, o.key, a.body.id)).status).toBe('completed');
    const again = await http('POST', `${second}/v1/video/generations`, { key: o.key, body: { model: 'google/veo-3.1', prompt: 'one more' } });
    expect(again.status).toBe(200);
    await pollGeneration(p.baseUrl, o.key, again.body.id);
  });

  it('suspension reaches both replicas (403 with the reason); a generation accepted before it still finishes; resume restores the key', async () => {
    if (skip) return;
    const o = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'suspect');
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: o.key, body: { model: 'google/veo-3.1', prompt: 'before the suspension' } });
    expect(created.status).toBe(200);
    expect((await admin('POST', `/admin/orgs/${o.orgId}/suspend`, { reason: 'abuse report #42' })).body.status).toBe('suspended');
    for (const base of [p.baseUrl, second]) {
      const r = await waitFor('403 on every replica', async () => {
        const a = await http('GET', `${base}/v1/video/generations/${created.body.id}`, { key: o.key });
        return a.status === 403 ? a : undefined;
      }, 5_000, 100);
      expect(r.body.error.message).toMatch(/suspended \(abuse report #42\)/);
    }
    expect((await admin('GET', `/admin/orgs/${o.orgId}`)).body.status).toBe('suspended');
    expect((await admin('POST', `/admin/orgs/${o.orgId}/resume`)).body.status).toBe('active');
    // The generation accepted before the suspension ran to its end (documented rule: in-flight work finishes).
    const g = await pollGeneration(second, o.key, created.body.id);
    expect(g.status).toBe('completed');
  });

  it('the operator revokes a key: refused on both replicas within a second; the audit log has every operator action', async () => {
    if (skip) return;
    const o = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'leaky');
    expect((await admin('DELETE', `/admin/keys/${o.keyId}`)).body.status).toBe('revoked');
    for (const base of [p.baseUrl, second]) {
      await waitFor('401 on every replica', async () => (await http('GET', `${base}/v1/video/generations`, { key: o.key })).status === 401, 5_000, 100);
    }
    const log = await admin('GET', `/admin/audit-log?org_id=${o.orgId}`);
    expect(log.body.data.map((e: any) => e.action)).toEqual(['key.revoke', 'key.issue', 'org.create']);
    expect((await http('GET', `${second}/admin/audit-log?org_id=${o.orgId}`, { headers: { authorization: `Bearer ${p.adminToken}` } })).body.data).toHaveLength(3);
  });

  it('the dead-letter queue is empty after all of this, and the operator API answers over JetStream', async () => {
    if (skip) return;
    const dl = await admin('GET', '/admin/dead-letters');
    expect(dl.status).toBe(200);
    expect(dl.body).toMatchObject({ object: 'list', data: [], total: 0 });
    expect((await admin('GET', '/admin/dead-letters/12345')).status).toBe(404);
  });

  // Last: it spends 127.0.0.1's budget for requests without a valid key (failed authentications count too).
  it('public endpoints are limited per client IP across replicas; X-Forwarded-For from an untrusted peer changes nothing', async () => {
    if (skip) return;
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await http('GET', `${i % 2 ? second : p.baseUrl}/v1/models`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      statuses.push(r.status);
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeLessThanOrEqual(20 + 20); // 20 per sliding minute for 127.0.0.1 (plus one window's worth on a rollover)
    expect(statuses).toContain(429);
    const r = await http('GET', `${second}/v1/engines`);
    if (r.status === 429) expect(r.body.error.retry_after).toBeGreaterThanOrEqual(1);
  });
});
