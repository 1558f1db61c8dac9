/**
 * Beyond one machine, here: a 3-node NATS cluster on loopback (JetStream stream with 3 replicas) and
 * two replicas of every service. Under a steady load one NATS server and one replica of each service
 * are SIGKILLed, then restarted: every generation ends, every hold settles once and the ledger is
 * exact (the balance falls by exactly what completed), no event is lost or applied twice.
 */
import { spawnSync } from 'node:child_process';
import { http, pollGeneration } from './harness/http';
import { settledBalance } from './harness/org';
import { startNatsCluster, NatsCluster } from './harness/nats-cluster';
import { createFundedOrg, Platform, SERVICES, startMicroservices } from './harness/platform';

const hasNatsServer = spawnSync('nats-server', ['--version']).status === 0;

describe('a NATS cluster and two replicas of every service', () => {
  let cluster: NatsCluster;
  let p: Platform;
  const skip = !hasNatsServer;
  if (skip) {
    if (process.env.CI === 'true') throw new Error('CI=true but nats-server is not installed');
    console.warn('\n\n!!! nats-server NOT FOUND: SKIPPING the NATS cluster test. !!!\n\n');
  }

  beforeAll(async () => {
    if (skip) return;
    cluster = await startNatsCluster(3);
    p = await startMicroservices({
      natsUrl: cluster.url,
      replicas: Object.fromEntries(SERVICES.map((s) => [s, 2])),
      // Deadlines long enough that an outcome delayed by the outage still counts (a provider that truly
      // never calls back is the faults spec's business).
      env: { PIPEVIDEO_NATS_STREAM_REPLICAS: '3', PIPEVIDEO_SANDBOX_JOB_MS: '1500', PIPEVIDEO_CALLBACK_TIMEOUT_MS: '30000', PIPEVIDEO_POLL_TIMEOUT_MS: '30000' },
    });
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
    await cluster?.stop();
  });

  it('survives losing a NATS server and a replica of each service mid-load', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 100_000, 'cluster org');
    const before = await settledBalance(p.baseUrl, org.key);
    const ids: string[] = [];
    let creating = true;
    // Steady load: a create every 150 ms through both gateways.
    const loader = (async () => {
      for (let i = 0; creating; i++) {
        const gateway = `http://127.0.0.1:${p.ports.gateway[i % 2]}`;
        const r = await http('POST', `${gateway}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: `cluster ${i}` } }).catch(() => undefined);
        if (r?.status === 200) ids.push(r.body.id);
        await new Promise((res) => setTimeout(res, 150));
      }
    })();
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.kill(1);
    await Promise.all(SERVICES.filter((s) => s !== 'gateway').map((s) => p.kill(s, 'SIGKILL', 1)));
    await p.kill('gateway', 'SIGKILL', 1); // the loader goes on through the other gateway
    await new Promise((r) => setTimeout(r, 4000));
    await cluster.start(1);
    await Promise.all(SERVICES.map((s) => p.start(s, 1)));
    await new Promise((r) => setTimeout(r, 3000));
    creating = false;
    await loader;

    expect(ids.length).toBeGreaterThan(20);
    const done = await Promise.all(ids.map((id) => pollGeneration(p.baseUrl, org.key, id, 120_000)));
    for (const g of done) expect(['completed', 'failed']).toContain(g.status);
    const paid = done.filter((g) => g.status === 'completed').reduce((s, g) => s + g.cost_cents, 0);
    // The platform recovered: most jobs completed despite the outage (the rest failed and were refunded).
    expect(done.filter((g) => g.status === 'completed').length).toBeGreaterThan(ids.length / 2);
    const after = await settledBalance(p.baseUrl, org.key, 120_000);
    expect(after.held_cents).toBe(0);
    // A create whose answer was lost with the killed gateway still made a generation (the client just
    // never heard of it): the ledger must match every generation of the org, not only the answered ones.
    const all: any[] = [];
    for (let cursor = ''; ; ) {
      const page = await http('GET', `${p.baseUrl}/v1/video/generations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: org.key });
      all.push(...page.body.data);
      if (!page.body.next_cursor) break;
      cursor = page.body.next_cursor;
    }
    for (const id of ids) expect(all.map((g) => g.id)).toContain(id);
    for (const g of all) expect(['completed', 'failed']).toContain(g.status);
    const paidAll = all.filter((g) => g.status === 'completed').reduce((s, g) => s + g.cost_cents, 0);
    expect(paidAll).toBeGreaterThanOrEqual(paid);
    expect(after.available_cents).toBe(before.available_cents - paidAll);
    // Each generation is charged once: the usage history holds one row per generation, at its cost.
    const usage: any[] = [];
    for (let cursor = ''; ; ) {
      const page = await http('GET', `${p.baseUrl}/v1/usage?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: org.key });
      expect(page.status).toBe(200);
      usage.push(...page.body.data);
      if (!page.body.next_cursor) break;
      cursor = page.body.next_cursor;
    }
    for (const g of all) {
      const rows = usage.filter((u: any) => u.id === g.id);
      expect(rows.length).toBeLessThanOrEqual(1);
      if (g.status === 'completed') expect(rows[0]?.cost_cents).toBe(g.cost_cents);
    }
  }, 300_000);
});
