/**
 * No overload collapse (issue 19): a burst of creates far above what the providers service can take.
 * The providers service is a stand-in on the in-process bus with a fixed capacity (2 submits at a time,
 * 100 ms each: 20 submits/s sustainable) that answers a repeated (generation, attempt) with what the
 * first submit got, as the real one does; the router's submit call gives up after 300 ms, so most
 * submits of the burst fail on our side. Checked by outcome only (no timing assertion): creates beyond
 * the dispatch queue are refused with 503 and retry_after before anything is stored or held; every
 * accepted generation is submitted on the route it was priced on (one attempt, one hold, never
 * released); every breaker stays closed and no failure is counted against the route.
 */
import { EVENTS, RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, InProcessWiring, TestDatabase } from '@pipevideo/platform';
import { placed, serve } from './support/stand-in';
import { startRouterService } from '../src/service';

jest.setTimeout(120_000);


/** A providers service that serves `capacity` submits at a time, each taking `ms`; the rest wait their turn. */
function slowProviders(capacity: number, ms: number) {
  const jobs = new Map<string, Promise<any>>();
  const submits: any[] = [];
  let running = 0;
  const queue: Array<() => void> = [];
  const slot = async () => {
    if (running >= capacity) await new Promise<void>((r) => queue.push(r));
    running++;
  };
  const free = () => {
    running--;
    queue.shift()?.();
  };
  const submit = (d: any) => {
    const key = `${d.generationId}:${d.attempt}`;
    // The same attempt again: whatever the first submit got (no second upstream job).
    let job = jobs.get(key);
    if (!job) {
      job = (async () => {
        await slot();
        try {
          await new Promise((r) => setTimeout(r, ms));
          submits.push(d);
          return { ok: true, providerJobId: `job-${key}`, mode: 'callback' };
        } finally {
          free();
        }
      })();
      jobs.set(key, job);
    }
    return job;
  };
  return { submit, submits };
}

describe('overload: a burst at many times the sustainable submit rate', () => {
  let db: TestDatabase;
  let w: InProcessWiring;
  let svc: Awaited<ReturnType<typeof startRouterService>>;
  const holds: any[] = [];
  const released: any[] = [];
  const providers = slowProviders(2, 100);

  beforeAll(async () => {
    db = await createTestDatabase();
    w = createInProcessWiring();
    serve(w, RPC.billing.holdPlace, (d) => {
      holds.push(d);
      return placed(d);
    });
    serve(w, RPC.providers.jobSubmit, (d) => providers.submit(d));
    serve(w, RPC.providers.keyActive, () => ({ providers: [] }));
    serve(w, RPC.providers.jobCancel, () => ({ cancelled: true }));
    await w.events.subscribe('test-observer', [EVENTS.holdReleaseRequested], async (_s, p) => void released.push(JSON.parse(p)));
    svc = await startRouterService({
      messaging: { kind: 'inprocess', wiring: w },
      databaseUrl: db.url,
      port: 0,
      config: {
        sweepIntervalMs: 100,
        dispatchLeaseMs: 5000,
        dispatchQueueMax: 30,
        dispatchRetryBackoffMs: 200,
        configuredProviders: ['fal', 'replicate', 'vercel-gateway', 'framerate'],
        breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 30_000, rollingCountTimeoutMs: 60_000, timeoutMs: 300 },
      },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  it('refuses what it cannot queue (503 + retry_after), and runs everything it accepted on its priced route with every breaker closed', async () => {
    const rpc = svc.ctx.messaging.rpc;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        rpc.request(RPC.router.generationCreate, { orgId: 'org_burst', request: { prompt: `burst ${i}`, models: ['minimax/hailuo-02'] } }, { timeoutMs: 60_000 }).then(
          (ok) => ({ ok }),
          (err) => ({ err }),
        ),
      ),
    );
    const accepted = results.filter((r) => 'ok' in r).map((r: any) => r.ok.id as string);
    const refused = results.filter((r) => 'err' in r).map((r: any) => r.err);
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0); // 100 at once against a queue of 30
    for (const e of refused) expect([e.code, e.details?.retry_after]).toEqual(['SERVICE_UNAVAILABLE', 2]);
    // Nothing of a refused create was stored or held.
    const [{ n }] = await svc.ctx.ds.query(`SELECT count(*)::int AS n FROM generations WHERE org_id = 'org_burst'`);
    expect(n).toBe(accepted.length);

    // Every accepted create gets submitted, on our side's retries, without falling back.
    const until = async (what: string, fn: () => Promise<boolean>) => {
      const end = Date.now() + 90_000;
      while (!(await fn())) {
        if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until('every accepted generation submitted', async () => {
      const [{ pending }] = await svc.ctx.ds.query(`SELECT count(*)::int AS pending FROM generations WHERE org_id = 'org_burst' AND status <> 'processing'`);
      return pending === 0;
    });
    const ourSide = await (await svc.ctx.metrics.registry.getSingleMetric('pipevideo_dispatch_our_side_failures_total')!.get()).values;
    expect(ourSide.find((v) => v.labels.outcome === 'retried')?.value ?? 0).toBeGreaterThan(0); // the burst did overload the submits

    const rows = await svc.ctx.ds.query(
      `SELECT g.id, g.route_id, g.candidates->0->>'routeId' AS priced_route, g.estimated_cost_cents, (g.candidates->0->>'estimatedCostCents')::int AS priced_cents,
              (SELECT count(*)::int FROM generation_attempts a WHERE a.generation_id = g.id) AS attempts
         FROM generations g WHERE g.org_id = 'org_burst'`,
    );
    for (const r of rows) {
      expect(r).toMatchObject({ route_id: r.priced_route, attempts: 1, estimated_cost_cents: r.priced_cents });
      expect(r.priced_route).toBe('minimax/hailuo-02@fal'); // the cheapest route, as priced at create
    }
    // One hold per generation (placed again on a retry under the same id and amount), none released.
    const byId = new Map<string, Set<number>>();
    for (const h of holds) byId.set(h.holdId, (byId.get(h.holdId) ?? new Set()).add(h.amountCents));
    expect([...byId.keys()].sort()).toEqual(accepted.map((id) => `${id}:1`).sort());
    for (const amounts of byId.values()) expect(amounts.size).toBe(1);
    expect(released).toEqual([]);
    // One upstream job per generation, on fal.
    expect(new Set(providers.submits.map((s) => s.generationId)).size).toBe(accepted.length);
    expect(providers.submits.every((s) => s.provider === 'fal' && s.attempt === 1)).toBe(true);

    // Overload opened no breaker and counted nothing against the route.
    expect(Object.values(svc.engine.breakers.states()).every((s) => s === 'closed')).toBe(true);
    expect(svc.engine.health.summary('minimax/hailuo-02@fal').failures).toBe(0);
  });
});
