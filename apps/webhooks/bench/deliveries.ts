/**
 * Webhook delivery benchmark: `pnpm bench webhooks` (builds, then runs dist-bench/bench/deliveries.js; the source lives outside src/).
 *
 * On a fresh database, with a local receiver (its own thread, answering 200 at once):
 *   1. drain: 5,000 deliveries queued while the worker is paused, then timed until all arrived;
 *   2. burst: 5,000 events published as fast as possible, timed from the first event to the last arrival;
 *   3. steady: 200 events/s for 10 s; event→delivery latency (event published on the bus → request at
 *      the receiver) p50/p99/max.
 * Options: --transport inprocess|nats (default inprocess; on NATS the run uses a namespace of its own,
 * deleted afterwards), --events N, --rate R, --seconds S, --phases drain,burst,steady.
 * Prints figures; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EVENTS, type GenerationFinishedEvt } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, deleteNatsNamespace, NATS_TEST_URL, type MessagingConfig } from '@pipevideo/platform';
import { startWebhooksService, type RunningWebhooksService } from '../src/service';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The receiver runs in a worker thread so its work does not sit on the service's event loop. */
const RECEIVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const arrivals = [];
let waiting = null;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const t = performance.timeOrigin + performance.now();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    arrivals.push([JSON.parse(Buffer.concat(chunks).toString()).data.generationId, t]);
    if (waiting && arrivals.length >= waiting) { waiting = null; parentPort.postMessage({ type: 'reached', at: t }); }
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'port', port: server.address().port }));
parentPort.on('message', (m) => {
  if (m.type === 'reset') { arrivals.length = 0; parentPort.postMessage({ type: 'reset' }); }
  if (m.type === 'waitFor') { if (arrivals.length >= m.n) parentPort.postMessage({ type: 'reached', at: arrivals[arrivals.length - 1][1] }); else waiting = m.n; }
  if (m.type === 'dump') parentPort.postMessage({ type: 'dump', arrivals });
});
`;

class ReceiverThread {
  private constructor(private readonly w: Worker, readonly url: string) {}

  static async start(): Promise<ReceiverThread> {
    const w = new Worker(RECEIVER, { eval: true });
    const port = await new Promise<number>((ok) => w.once('message', (m) => ok(m.port)));
    return new ReceiverThread(w, `http://127.0.0.1:${port}/hook`);
  }

  private ask<T>(msg: object, reply: string): Promise<T> {
    return new Promise((ok) => {
      const on = (m: any) => {
        if (m.type !== reply) return;
        this.w.off('message', on);
        ok(m);
      };
      this.w.on('message', on);
      this.w.postMessage(msg);
    });
  }

  reset = () => this.ask({ type: 'reset' }, 'reset');
  /** Resolves with the arrival time of the n-th request. */
  waitFor = async (n: number) => (await this.ask<{ at: number }>({ type: 'waitFor', n }, 'reached')).at;
  arrivals = async () => (await this.ask<{ arrivals: Array<[string, number]> }>({ type: 'dump' }, 'dump')).arrivals;
  stop = () => this.w.terminate();
}

function event(orgId: string): GenerationFinishedEvt {
  const generationId = `gen_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  return {
    v: 1, eventId: randomUUID(), api: 'video', generationId, orgId, status: 'completed', succeeded: true, model: 'google/veo-3.1', provider: 'fal',
    holdId: `${generationId}:1`, costCents: 125, keepTokenCharge: false, outputUrl: `https://cdn.example.com/${generationId}.mp4`, errorMessage: null, finishedAt: new Date().toISOString(),
  };
}

const publish = (svc: RunningWebhooksService, e: GenerationFinishedEvt) => svc.ctx.messaging.events.publish(EVENTS.generationFinished, e.eventId, JSON.stringify(e));

/** Publishes with at most `parallel` publishes outstanding. */
async function publishAll(svc: RunningWebhooksService, events: GenerationFinishedEvt[], parallel = 64): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < events.length) await publish(svc, events[next++]);
  }));
}

/** CPU seconds used so far by this process (service + receiver thread) and by all PostgreSQL processes (Linux /proc). */
function cpuSeconds(): { node: number; postgres: number } {
  const u = process.cpuUsage();
  let pg = 0;
  const tick = 100; // USER_HZ
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        pg += (Number(f[11]) + Number(f[12])) / tick;
      } catch {
        // process ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return { node: (u.user + u.system) / 1e6, postgres: pg };
}

function cpuSince(before: { node: number; postgres: number }, n: number): string {
  const after = cpuSeconds();
  const nodeMs = ((after.node - before.node) * 1000) / n;
  const pgMs = ((after.postgres - before.postgres) * 1000) / n;
  return `CPU per delivery: node ${nodeMs.toFixed(2)} ms, postgres ${pgMs.toFixed(2)} ms`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function main() {
  const total = Number(arg('events', '5000'));
  const rate = Number(arg('rate', '200'));
  const seconds = Number(arg('seconds', '10'));
  const wanted = arg('transport', '');
  const phases = new Set(arg('phases', 'drain,burst,steady').split(','));
  const useNats = wanted === 'nats';
  const db = await createTestDatabase('pv_webhooks_bench');
  // On NATS the run gets its own namespace (subjects, stream, durables), deleted afterwards.
  const messaging: MessagingConfig = useNats ? { kind: 'nats', url: NATS_TEST_URL, prefix: db.name } : { kind: 'inprocess', wiring: createInProcessWiring() };
  const receiver = await ReceiverThread.start();
  const svc = await startWebhooksService({
    messaging, databaseUrl: db.url, port: 0, allowHttp: true, allowPrivate: true, deliver: false, encryptionKey: 'bench-key', dbPoolSize: 20,
  });
  const c = svc.config;
  console.log(`webhooks delivery bench — transport ${messaging.kind}, ${os.cpus().length} CPUs, concurrency ${c.concurrency} (≤${c.maxInFlightPerEndpoint}/endpoint, ≤${c.maxInFlightPerOrg}/org, ${c.endpointRatePerSecond || "∞"}/s per endpoint), poll ${c.pollIntervalMs} ms`);
  try {
    const orgs = Array.from({ length: 10 }, (_, i) => `org_bench_${i}`);
    for (const orgId of orgs) await svc.api.create({ v: 1, orgId, url: receiver.url } as any);
    const spread = (n: number) => Array.from({ length: n }, (_, i) => event(orgs[i % orgs.length]));

    // Warm-up (not measured): JIT, connection pools, keep-alive sockets, the claim function's cached plan.
    svc.worker.start();
    await burst(svc, receiver, spread(1000), 'warm-up');
    await svc.worker.stop();
    if (phases.has('drain')) await drain(svc, receiver, spread(total));
    svc.worker.start();
    if (phases.has('burst')) await burst(svc, receiver, spread(total));
    if (phases.has('steady')) await steady(svc, receiver, orgs, rate, seconds);
  } finally {
    await svc.close();
    if (useNats) await deleteNatsNamespace(db.name);
    await receiver.stop();
    await db.drop();
  }
}

/** Deliveries already queued, then the worker started: pure delivery throughput. */
async function drain(svc: RunningWebhooksService, receiver: ReceiverThread, events: GenerationFinishedEvt[]): Promise<void> {
  await receiver.reset();
  await publishAll(svc, events);
  await waitQueued(svc, events.length);
  const cpu = cpuSeconds();
  const t0 = now();
  svc.worker.start();
  const t1 = await receiver.waitFor(events.length);
  const s = (t1 - t0) / 1000;
  console.log(`drain:  ${events.length} queued deliveries sent in ${s.toFixed(2)} s → ${Math.round(events.length / s)} deliveries/s (10 endpoints; ${cpuSince(cpu, events.length)})`);
}

/** Events in and deliveries out at the same time, as fast as they go. */
async function burst(svc: RunningWebhooksService, receiver: ReceiverThread, events: GenerationFinishedEvt[], label = 'burst: '): Promise<void> {
  await receiver.reset();
  const cpu = cpuSeconds();
  const t0 = now();
  await publishAll(svc, events);
  const t1 = await receiver.waitFor(events.length);
  const s = (t1 - t0) / 1000;
  console.log(`${label} ${events.length} events → ${events.length} deliveries in ${s.toFixed(2)} s → ${Math.round(events.length / s)} deliveries/s end to end (${cpuSince(cpu, events.length)})`);
}

/** A steady event rate: latency from the event on the bus to the request at the receiver. */
async function steady(svc: RunningWebhooksService, receiver: ReceiverThread, orgs: string[], rate: number, seconds: number): Promise<void> {
  await sleep(500);
  await receiver.reset();
  const n = rate * seconds;
  const sentAt = new Map<string, number>();
  const pending: Array<Promise<void>> = [];
  const start = now();
  for (let i = 0; i < n; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 1) await sleep(wait);
    const e = event(orgs[i % orgs.length]);
    sentAt.set(e.generationId, now());
    pending.push(publish(svc, e));
  }
  await Promise.all(pending);
  await receiver.waitFor(n);
  const lat = (await receiver.arrivals()).map(([g, t]) => t - (sentAt.get(g) ?? t)).sort((a, b) => a - b);
  const achieved = n / ((now() - start) / 1000);
  console.log(
    `steady: ${rate} events/s for ${seconds} s (${achieved.toFixed(0)}/s achieved), ${lat.length} delivered: event→delivery ` +
      `p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(1)} ms`,
  );
}

/** With JetStream the publish ack comes before our consumer committed: wait until all are queued. */
async function waitQueued(svc: RunningWebhooksService, n: number): Promise<void> {
  for (;;) {
    const [r] = await svc.ctx.ds.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending'`);
    if (r.n >= n) return;
    await sleep(50);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
