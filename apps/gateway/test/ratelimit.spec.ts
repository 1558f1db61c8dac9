import { Client } from 'pg';
import { startGatewayService } from '../src';
import { installFakeDownstream } from './fake-downstream';
import { ADMIN_TOKEN, call, Harness, newOrg, startHarness } from './helpers';

describe('rate limits (shared in PostgreSQL)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ defaultRateLimitPerMinute: 5 });
    installFakeDownstream(h);
  });
  afterAll(async () => h?.close());

  const poll = (url: string, key: string) => call(url, 'GET', '/v1/video/generations', { key });

  it('sets X-RateLimit-* on every authenticated answer and refuses the excess with 429 + Retry-After + retry_after', async () => {
    const o = await newOrg(h.url);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await poll(h.url, o.key);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      seen.push(Number(r.headers.get('x-ratelimit-remaining')));
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    }
    // Usually 4..0, unless the minute rolled over in between: never more than the limit, always decreasing within a window.
    expect(Math.min(...seen)).toBeLessThanOrEqual(4);
    let limited = await poll(h.url, o.key);
    if (limited.status === 200) for (let i = 0; i < 5 && limited.status === 200; i++) limited = await poll(h.url, o.key);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(limited.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(limited.body).not.toHaveProperty('retry_after'); // once, inside the error envelope
    expect(Number(limited.headers.get('retry-after'))).toBe(limited.body.error.retry_after);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');

    // The Responses API answers in OpenAI's shape.
    const resp = await call(h.url, 'GET', '/v1/responses/gen_abc', { key: o.key });
    expect(resp.status).toBe(429);
    expect(resp.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });

    // Another key of the same org has its own budget.
    const other = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/keys`, { key: ADMIN_TOKEN, body: { name: 'other' } });
    expect((await poll(h.url, other.body.key)).status).toBe(200);
    const metrics = await call(h.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/pipevideo_gateway_rate_limited_total\{[^}]*\} [1-9]/);
  });

  it('is shared across gateway replicas', async () => {
    const replica = await startGatewayService({ messaging: { kind: 'inprocess', wiring: h.wiring }, databaseUrl: h.db.url, port: 0, adminToken: ADMIN_TOKEN, defaultRateLimitPerMinute: 5 });
    try {
      const o = await newOrg(h.url);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await poll(i % 2 ? replica.url : h.url, o.key)).status);
      const ok = statuses.filter((s) => s === 200).length;
      // 5 per window across both replicas (10 if the minute rolled over mid-test), never 12.
      expect(ok).toBeLessThanOrEqual(10);
      expect(statuses).toContain(429);
    } finally {
      await replica.close();
    }
  });

  it('slides: a busy previous minute still counts against the current one (through the SQL function)', async () => {
    const o = await newOrg(h.url, 'Slider', { rate_limit_per_minute: 50 });
    // The previous window of this key used ten times its limit: until 90 % of the current window has
    // passed, its weighted remainder alone exceeds the limit.
    const c = new Client({ connectionString: h.db.url });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO gateway.rate_limit_counters (bucket, window_start, count)
         VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / 60) * 60 - 60), 500)`,
        [`key:${o.keyId}`],
      );
    } finally {
      await c.end();
    }
    const statuses: number[] = [];
    const resets = new Set<string | null>();
    const startedAt = Date.now() / 1000;
    for (let i = 0; i < 60; i++) {
      const r = await poll(h.url, o.key);
      statuses.push(r.status);
      resets.add(r.headers.get('x-ratelimit-reset'));
    }
    expect(statuses).toContain(429);
    const reset = Number([...resets][0]);
    if (resets.size === 1 && reset - startedAt > 7) {
      // One window, less than 90 % through it: a fixed window would admit 50; the sliding one none.
      expect(statuses.filter((st) => st === 200)).toEqual([]);
    }
  });

  it('honours per-key and per-org overrides', async () => {
    const o = await newOrg(h.url, 'Big', { rate_limit_per_minute: 50 });
    expect((await poll(h.url, o.key)).headers.get('x-ratelimit-limit')).toBe('50');
    const k = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/keys`, { key: ADMIN_TOKEN, body: { name: 'tiny', rate_limit_per_minute: 2 } });
    expect((await poll(h.url, k.body.key)).headers.get('x-ratelimit-limit')).toBe('2');
    // A customer's management key cannot lift a key above its org's ceiling.
    const mgmt = await call(h.url, 'POST', `/admin/orgs/${o.orgId}/keys`, { key: ADMIN_TOKEN, body: { name: 'mgmt', kind: 'management' } });
    const greedy = await call(h.url, 'POST', '/v1/keys', { key: mgmt.body.key, body: { name: 'greedy', rate_limit_per_minute: 1_000_000 } });
    expect(greedy.status).toBe(201);
    expect((await poll(h.url, greedy.body.key)).headers.get('x-ratelimit-limit')).toBe('50');
    const upd = await call(h.url, 'PATCH', `/admin/orgs/${o.orgId}`, { key: ADMIN_TOKEN, body: { rate_limit_per_minute: 70 } });
    expect(upd.status).toBe(200);
    expect(upd.body.rate_limit_per_minute).toBe(70);
  });

  it('does not limit or require keys on public endpoints', async () => {
    for (let i = 0; i < 8; i++) expect((await call(h.url, 'GET', '/v1/models')).status).toBe(200);
  });
});
