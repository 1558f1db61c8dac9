/**
 * Benchmark of billing.hold.place (`pnpm bench billing`). Creates a fresh database, starts the billing
 * service (NATS when it answers, else in-process), and measures holds/s and latency percentiles
 * for one hot org and for 100 orgs: through the Ledger directly (the single-round-trip SQL
 * function), through a multi-statement baseline (the "before" of that optimisation), and through
 * NATS request/reply (the caller in a worker thread). A closed loop of BENCH_CONCURRENCY callers;
 * prints figures, asserts nothing.
 *
 * Env: BENCH_HOLDS (per scenario, default 5000), BENCH_CONCURRENCY (default 64),
 *      BILLING_DB_POOL_SIZE (default 16), BENCH_ONLY (run scenarios whose name contains it),
 *      BENCH_SHARED_NATS=1 (use NATS_URL instead of a private nats-server), PG_ADMIN_URL.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { DataSource } from 'typeorm';
import { RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, natsAnswers, NatsTransport, RpcClient } from '@pipevideo/platform';
import { startBillingService } from '../src/service';
import { PrivateNats, startPrivateNats } from './private-nats';
import { Ledger } from '../src/ledger/ledger';

const HOLDS = Number(process.env.BENCH_HOLDS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const POOL = Number(process.env.BILLING_DB_POOL_SIZE ?? 16);
const SHARED_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const AMOUNT = 3;

type HoldFn = (orgId: string, holdId: string, generationId: string) => Promise<boolean>;

interface Figures {
  scenario: string;
  holds: number;
  ok: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Average holds per PostgreSQL call (1 when not batched). */
  avgBatch: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface LoopResult {
  latencies: number[];
  ok: number;
  seconds: number;
}

/** CONCURRENCY callers, each placing holds back to back until n are done. */
async function closedLoop(n: number, orgs: string[], tag: string, hold: HoldFn): Promise<LoopResult> {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const org = orgs[i % orgs.length];
        const t = performance.now();
        if (await hold(org, `${tag}-g${i}:1`, `${tag}-g${i}`)) ok++;
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, ok, seconds: (performance.now() - start) / 1000 };
}

/** Runs the closed loop of NATS requests in a worker thread (its own event loop, like a separate caller). */
function natsLoopInWorker(url: string, n: number, orgs: string[], tag: string): Promise<LoopResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { n, orgs, tag, url } });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

function rpcHold(rpc: RpcClient): HoldFn {
  return async (orgId, holdId, generationId) => {
    await rpc.request(RPC.billing.holdPlace, { orgId, holdId, amountCents: AMOUNT, generationId }, { timeoutMs: 30_000 });
    return true;
  };
}

async function workerMain(): Promise<void> {
  const { n, orgs, tag, url } = workerData as { n: number; orgs: string[]; tag: string; url: string };
  const transport = await NatsTransport.connect(url, 'billing-bench-client');
  try {
    parentPort!.postMessage(await closedLoop(n, orgs, tag, rpcHold(new RpcClient(transport))));
  } finally {
    await transport.close();
  }
}

let run = 0;
let natsUrl = '';
async function measure(scenario: string, orgs: string[], hold: HoldFn | 'nats-worker', n = HOLDS, batcher?: Ledger): Promise<Figures> {
  const tag = `r${++run}`;
  const before = batcher?.holdBatchStats;
  const { latencies, ok, seconds } = hold === 'nats-worker' ? await natsLoopInWorker(natsUrl, n, orgs, tag) : await closedLoop(n, orgs, tag, hold);
  latencies.sort((a, b) => a - b);
  const after = batcher?.holdBatchStats;
  const avgBatch = before && after && after.batches > before.batches ? (after.items - before.items) / (after.batches - before.batches) : 1;
  return { scenario, holds: n, ok, seconds, avgBatch, perSecond: n / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] };
}

/** The "before": the same hold as a transaction of separate statements (9 round trips, lock held across 6). */
function baselineHold(ds: DataSource): HoldFn {
  return (orgId, holdId, generationId) =>
    ds.transaction(async (m) => {
      if ((await m.query(`SELECT 1 FROM holds WHERE hold_id = $1`, [holdId])).length) return true;
      const [org] = await m.query(`SELECT * FROM org_balances WHERE org_id = $1 FOR UPDATE`, [orgId]);
      if (!org || Number(org.available_cents) < AMOUNT) return false;
      await m.query(`INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status) VALUES ($1, $2, $3, $4, 'open')`, [holdId, orgId, generationId, AMOUNT]);
      const [tx] = await m.query(
        `INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents) VALUES ($1, 'hold', $2, $3, $4, $5) RETURNING id`,
        [`hold:${holdId}`, orgId, generationId, holdId, AMOUNT],
      );
      await m.query(`INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) VALUES ($1, $2, $3), ($1, $4, $5)`, [
        tx.id, org.available_account_id, -AMOUNT, org.held_account_id, AMOUNT,
      ]);
      await m.query(`UPDATE org_balances SET available_cents = available_cents - $2, held_cents = held_cents + $2 WHERE org_id = $1`, [orgId, AMOUNT]);
      return true;
    });
}

function ledgerHold(ledger: Ledger): HoldFn {
  return async (orgId, holdId, generationId) => (await ledger.placeHold({ orgId, holdId, amountCents: AMOUNT, generationId })).ok;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('pv_bench_billing');
  // Our own nats-server when installed: on the shared one, other billing instances share the queue group.
  const own: PrivateNats | null = process.env.BENCH_SHARED_NATS ? null : await startPrivateNats();
  natsUrl = own?.url ?? ((await natsAnswers(SHARED_NATS_URL)) ? SHARED_NATS_URL : '');
  const nats = !!natsUrl;
  if (nats && !own) console.warn(`using the shared NATS at ${natsUrl}: other billing instances there would answer some requests`);
  const svc = await startBillingService({
    messaging: nats ? { kind: 'nats', url: natsUrl } : { kind: 'inprocess', wiring: createInProcessWiring() },
    databaseUrl: db.url,
    port: 0,
    poolSize: POOL,
    eventConsumer: false,
  });
  const { ledger } = svc.domain;
  const results: Figures[] = [];
  try {
    const hot = ['bench_hot'];
    const many = Array.from({ length: 100 }, (_, i) => `bench_org_${i}`);
    // Enough credit for every scenario, so no hold is refused for lack of funds.
    for (const org of [...hot, ...many]) {
      await ledger.topup({ orgId: org, amountCents: 100 * HOLDS * AMOUNT, source: 'operator', key: `topup:${org}:bench` });
    }
    await measure('warm-up', many, ledgerHold(ledger), Math.min(1000, HOLDS));

    // "Before" steps of the optimisation, for comparison: one SQL call per hold, and 9 statements per hold.
    const unbatched = new Ledger(svc.ctx.ds, { holdBatchSize: 1, holdBatchesInFlight: POOL });
    const scenarios: Array<[string, string[], HoldFn | 'nats-worker', Ledger?]> = [
      ['ledger, batched SQL function, 1 org', hot, ledgerHold(ledger), ledger],
      ['ledger, batched SQL function, 100 orgs', many, ledgerHold(ledger), ledger],
      ['ledger, 1 SQL call per hold, 1 org', hot, ledgerHold(unbatched)],
      ['ledger, 1 SQL call per hold, 100 orgs', many, ledgerHold(unbatched)],
      ['baseline 9 statements/hold, 1 org', hot, baselineHold(svc.ctx.ds)],
      ['baseline 9 statements/hold, 100 orgs', many, baselineHold(svc.ctx.ds)],
    ];
    if (nats) {
      // The caller runs in a worker thread: its own event loop, as the router would be its own process.
      scenarios.push(
        ['NATS RPC hold.place, 1 org', hot, 'nats-worker', ledger],
        ['NATS RPC hold.place, 100 orgs', many, 'nats-worker', ledger],
      );
    }
    const only = process.env.BENCH_ONLY;
    for (const [name, orgs, fn, batcher] of scenarios.filter(([n]) => !only || n.includes(only))) {
      const r = await measure(name, orgs, fn, HOLDS, batcher);
      results.push(r);
      console.log(fmt(r));
    }
    const check = await ledger.check();
    console.log(`\nledger check after the run: ${JSON.stringify(check)}`);
  } finally {
    await svc.close();
    await db.drop();
    await own?.stop();
  }
  const transport = nats ? `NATS (${own ? 'private nats-server' : natsUrl})` : 'in-process (no NATS: RPC scenarios skipped)';
  console.log(`\nbilling hold benchmark — ${HOLDS} holds per scenario, ${CONCURRENCY} concurrent callers, pool ${POOL}, transport ${transport}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| scenario | holds/s | p50 ms | p99 ms | max ms | holds per SQL call | ok |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.scenario} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} | ${r.avgBatch.toFixed(1)} | ${r.ok}/${r.holds} |`);
  }
}

function fmt(r: Figures): string {
  return `${r.scenario.padEnd(42)} ${r.perSecond.toFixed(0).padStart(6)} holds/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.ok}/${r.holds} ok, ${r.seconds.toFixed(2)} s)`;
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  void workerMain();
}
