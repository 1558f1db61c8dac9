import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { RPC, type WebhookEndpointWithSecret } from '@pipevideo/contracts';
import { createServiceDataSource, createTestDatabase, initServiceDataSource, type TestDatabase } from '@pipevideo/platform';
import type { RunningWebhooksService } from '../src';
import { DeliveryStore } from '../src/delivery/delivery-store';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, rpc, startTestService } from './support/service';

const org = () => `org_${randomUUID().slice(0, 8)}`;
jest.setTimeout(60_000); // waits are bounded by their own deadlines; this only stops a stuck test

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('fair delivery across orgs (real PostgreSQL, real HTTP receivers)', () => {
  let db: TestDatabase;
  let svc: RunningWebhooksService;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };
  const createEndpoint = (s: RunningWebhooksService, orgId: string, url: string) => rpc(s, RPC.webhooks.endpointCreate, { orgId, url });

  beforeAll(async () => {
    db = await createTestDatabase('pv_webhooks_fair');
    // 8 workers; an org may hold 4 of them, an endpoint 3; hung attempts give up only after 20 s.
    svc = await startTestService(db, { concurrency: 8, maxInFlightPerOrg: 4, maxInFlightPerEndpoint: 3, endpointRatePerSecond: 0, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await svc?.close();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it("org A's slow endpoints and large backlog do not delay org B: all of B's deliveries complete while A's backlog is still there", async () => {
    const orgA = org();
    const orgB = org();
    const slowA = [await receiver(), await receiver(), await receiver()];
    for (const r of slowA) r.fallback = 'hang';
    for (const r of slowA) await createEndpoint(svc, orgA, r.url);
    const healthyB = await receiver();
    await createEndpoint(svc, orgB, healthyB.url);

    for (let i = 0; i < 50; i++) await publish(svc, finishedEvent(orgA)); // 150 deliveries to hanging endpoints
    const aRequests = () => slowA.reduce((n, r) => n + r.requests.length, 0);
    await until("A's first attempts", () => aRequests() === 4);

    for (let i = 0; i < 30; i++) await publish(svc, finishedEvent(orgB));
    await until("all of B's deliveries", () => healthyB.succeeded.length === 30);

    // Meanwhile A never held more than its 4 slots (its attempts hang for 20 s) and its backlog waits.
    expect(aRequests()).toBe(4);
    expect(Math.max(...slowA.map((r) => r.requests.length))).toBeLessThanOrEqual(3);
    const [{ n }] = await svc.ctx.ds.query(`SELECT count(*)::int AS n FROM deliveries WHERE org_id = $1 AND status = 'pending'`, [orgA]);
    expect(n).toBe(150);
    const b = await svc.ctx.ds.query(`SELECT latency_ms FROM deliveries WHERE org_id = $1 AND status = 'succeeded' ORDER BY latency_ms`, [orgB]);
    expect(b).toHaveLength(30);
  });

  it('caps an org at 50 endpoints even under concurrent creates', async () => {
    const orgId = org();
    const r = await receiver();
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => createEndpoint(svc, orgId, r.url)));
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(50);
    const refused = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    expect(refused.every((x) => x.reason.code === 'BAD_REQUEST' && /at most 50 webhook endpoints/.test(x.reason.message))).toBe(true);
  });
});

describe('claim caps hold across replicas (claim_deliveries_fair)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let replicas: DeliveryStore[];

  beforeAll(async () => {
    db = await createTestDatabase('pv_webhooks_claims');
    // Migrations only: no worker claims behind the test's back.
    ds = await initServiceDataSource(createServiceDataSource({ url: db.url, schema: 'webhooks', migrations: (await import('../src')).WEBHOOKS_MIGRATIONS }));
    replicas = [new DeliveryStore(ds), new DeliveryStore(ds)];
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** An endpoint of `orgId` with `n` due deliveries. */
  async function backlog(orgId: string, n: number): Promise<string> {
    const ep = `ep_${randomUUID().slice(0, 12).replace(/-/g, '')}`;
    await ds.query(`INSERT INTO endpoints (id, org_id, url, events, secret) VALUES ($1, $2, 'https://example.com/hook', '{video.generation.completed}', 's')`, [ep, orgId]);
    for (let i = 0; i < n; i++) {
      const msg = `msg_${randomUUID().replace(/-/g, '')}`;
      await ds.query(`INSERT INTO messages (id, org_id, event_type, body) VALUES ($1, $2, 'video.generation.completed', '{}')`, [msg, orgId]);
      await ds.query(
        `INSERT INTO deliveries (id, org_id, endpoint_id, message_id, event_type, status, next_attempt_at) VALUES ($1, $2, $3, $4, 'video.generation.completed', 'pending', now() - interval '1 minute')`,
        [`dlv_${randomUUID().replace(/-/g, '')}`, orgId, ep, msg],
      );
    }
    return ep;
  }

  it('per endpoint and per org, counted over every replica; the org with less in flight comes first', async () => {
    const a = org();
    const b = org();
    const a1 = await backlog(a, 20);
    const a2 = await backlog(a, 20);
    await backlog(b, 5);
    const caps = { perEndpoint: 3, perOrg: 5, ratePerSecond: 0, burst: 1 };
    const first = await replicas[0].claim(4, caps, 60);
    // Round robin over orgs: B is served in the first claim although A's rows are older.
    expect(first.filter((c) => c.orgId === b).length).toBeGreaterThanOrEqual(2);
    const second = await Promise.all([replicas[0].claim(20, caps, 60), replicas[1].claim(20, caps, 60)]);
    const all = [first, ...second].flat();
    const count = (pred: (c: (typeof all)[number]) => boolean) => all.filter(pred).length;
    expect(count((c) => c.orgId === a)).toBe(5);
    expect(count((c) => c.endpointId === a1)).toBeLessThanOrEqual(3);
    expect(count((c) => c.endpointId === a2)).toBeLessThanOrEqual(3);
    expect(count((c) => c.orgId === b)).toBe(3);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    // Nothing more while those are in flight.
    expect(await replicas[1].claim(20, caps, 60)).toEqual([]);
  });

  it('limits each endpoint to its rate (token bucket), across replicas', async () => {
    const o = org();
    const ep = await backlog(o, 10);
    const caps = { perEndpoint: 100, perOrg: 100, ratePerSecond: 0.001, burst: 3 };
    const got = [...(await replicas[0].claim(10, caps, 60)), ...(await replicas[1].claim(10, caps, 60))].filter((c) => c.endpointId === ep);
    expect(got).toHaveLength(3);
  });
});
