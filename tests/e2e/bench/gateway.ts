/**
 * `pnpm bench gateway`: creates/s (and the drain time until every accepted create was submitted),
 * polls/s and the static answers (`/v1/models`, `/openapi.json`) with p50/p99 against the whole platform
 * (five services as separate processes on NATS, the provider sandboxes), next to a NestJS→NATS→NestJS
 * echo measured in the same run as the ceiling. `-- --embedded`: the same against embedded mode (one
 * process, as `pnpm start` runs it). Prints figures; asserts nothing.
 *
 * Every measured phase runs on the same client, autocannon in this process (`cannon` in load.ts), so
 * each ratio to the echo compares like with like; creates too, although they are bound by the
 * pipeline's CPU and the old `fetch` client would do for them. Each phase also reports the CPU per
 * request of the client and of the server processes, which says whether the client was the limit.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { cannon, type CannonRequest, load, type LoadResult, row } from './load';
import { createFundedOrg, startEmbeddedProcess, startMicroservices } from '../test/harness/platform';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** Which measured phases to run (all by default); one phase alone is handy under a profiler. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'echo,models,openapi,polls,creates').split(',').map((s) => s.trim()));
/** What the static phases accept, as a browser or `curl --compressed` does (`identity`: uncompressed answers). */
const ACCEPT_ENCODING = process.env.BENCH_ACCEPT_ENCODING ?? 'gzip, deflate, br';
const EMBEDDED = process.argv.includes('--embedded');
const skipped = () => Promise.resolve(undefined);

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
function cpuOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by every process of the machine named `comm` (the shared PostgreSQL and NATS servers). */
function cpuOfAll(comm: string): number {
  let total = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === comm) total += cpuOf(Number(pid));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return total;
}

async function main() {
  const echo = fork(join(__dirname, 'echo-server.cjs'), [], { execArgv: [], env: { ...process.env, LOG_LEVEL: 'error' } });
  const echoUrl: string = await new Promise((r) => echo.on('message', (m: any) => m?.ready && r(m.url)));
  // Production intervals and timeouts (the tests' fast ones would add background load), and no
  // rate limit (it would cap the run at 100/min).
  const env = {
    PIPEVIDEO_RATE_LIMIT_PER_MINUTE: '100000000',
    PIPEVIDEO_ORG_RATE_LIMIT_PER_MINUTE: '100000000',
    PIPEVIDEO_IP_RATE_LIMIT_PER_MINUTE: '100000000',
    PIPEVIDEO_MAX_CONCURRENT_GENERATIONS: '100000000',
    LOG_LEVEL: 'error',
    PIPEVIDEO_CALLBACK_TIMEOUT_MS: '900000',
    PIPEVIDEO_POLL_TIMEOUT_MS: '600000',
    PIPEVIDEO_SWEEP_INTERVAL_MS: '1000',
    PIPEVIDEO_DISPATCH_LEASE_MS: '30000',
    PIPEVIDEO_PROVIDERS_POLL_INTERVAL_MS: '1000',
    ...(process.env.BENCH_EXTRA_ENV ? JSON.parse(process.env.BENCH_EXTRA_ENV) : {}),
  };
  const p = EMBEDDED
    ? await startEmbeddedProcess({ env: { ...env, PIPEVIDEO_SANDBOX_JOB_MS: '5000' } }).then((e) => ({
        baseUrl: e.baseUrl,
        adminToken: e.adminToken,
        stop: () => e.stop().then(() => undefined),
        // One process: the gateway and every other service.
        cpu: (): Record<string, number> => ({ 'the platform process': cpuOf(e.pid) }),
      }))
    : await startMicroservices({ env }).then((m) => ({
        ...m,
        cpu: (): Record<string, number> => {
          const byProcess = m.cpuSeconds();
          return { gateway: byProcess['gateway#0'] ?? 0, 'all five services': Object.values(byProcess).reduce((a, b) => a + b, 0) };
        },
        /** Each service, and the PostgreSQL and NATS servers they share (every process of theirs on this machine). */
        cpuByProcess: (): Record<string, number> => {
          const byProcess = m.cpuSeconds();
          const services = Object.fromEntries(Object.entries(byProcess).map(([k, v]) => [k.replace(/#0$/, ''), v]));
          return { ...services, postgres: cpuOfAll('postgres'), 'nats-server': cpuOfAll('nats-server') };
        },
      }));
  // CPU per request of each measured phase: the load generator's (this process) and the server's.
  const cpuLines: string[] = [];
  const measured = async (name: string, server: () => Record<string, number>, run: () => Promise<LoadResult & { clientCpuSeconds: number }>) => {
    const before = server();
    const r = await run();
    const after = server();
    const us = (seconds: number) => `${((seconds / Math.max(1, r.requests)) * 1e6).toFixed(0)} µs`;
    cpuLines.push(`  ${name}: client ${us(r.clientCpuSeconds)}, ${Object.keys(after).map((k) => `${k} ${us(after[k] - (before[k] ?? 0))}`).join(', ')}`);
    return r;
  };
  try {
    const { key } = await createFundedOrg(p.baseUrl, p.adminToken, 100_000_000, 'bench org');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    // Every measured phase uses the same client (autocannon), so each ratio to the echo compares like with like.
    // The echo and the polls go round a set of 50 URLs on every connection.
    const echoRequests: CannonRequest[] = Array.from({ length: 50 }, (_, i) => ({ path: `/echo/${i}` }));
    const echoCpu = () => ({ 'the echo process': cpuOf(echo.pid) });
    // Warm up every path once.
    await load(1000, 4, async (i) => (await fetch(`${echoUrl}/echo/${i}`)).status);
    await cannon(echoUrl, 1000, 4, echoRequests);
    const echoResult = PHASES.has('echo') ? await measured('echo', echoCpu, () => cannon(echoUrl, DURATION_MS, CONCURRENCY, echoRequests)) : await skipped();
    const staticPhase = (path: string) => measured(path, p.cpu, () => cannon(p.baseUrl, DURATION_MS, CONCURRENCY, [{ path, headers: { 'accept-encoding': ACCEPT_ENCODING } }]));
    const models = PHASES.has('models') ? await staticPhase('/v1/models') : await skipped();
    const openapi = PHASES.has('openapi') ? await staticPhase('/openapi.json') : await skipped();
    const ids: string[] = [];
    const body = JSON.stringify({ model: 'google/veo-3.1', prompt: 'A cat walking on a beach at sunset [any:never_callback]', provider: { order: ['fal'] } });
    const keepId = (responseBody: string) => {
      try {
        const j = JSON.parse(responseBody);
        if (j?.id) ids.push(j.id);
      } catch {
        /* an error answer: counted by its status */
      }
    };
    const create = async () => {
      const r = await fetch(`${p.baseUrl}/v1/video/generations`, { method: 'POST', headers, body });
      keepId(await r.text());
      return r.status;
    };
    // Polls first, on a few generations made beforehand and settled, so creates' background work
    // (holds, submits, callbacks) does not run during the poll phase.
    await load(2000, 4, create);
    await new Promise((r) => setTimeout(r, 3000));
    const pollRequests: CannonRequest[] = ids.slice(0, 50).map((id) => ({ path: `/v1/video/generations/${id}`, headers }));
    const polls = PHASES.has('polls') ? await measured('polls', p.cpu, () => cannon(p.baseUrl, DURATION_MS, CONCURRENCY, pollRequests)) : await skipped();
    const before = ids.length;
    const byProcessBefore = 'cpuByProcess' in p ? p.cpuByProcess() : undefined;
    const creates = PHASES.has('creates')
      ? await measured('creates', p.cpu, () => cannon(p.baseUrl, DURATION_MS, CONCURRENCY, [{ method: 'POST', path: '/v1/video/generations', headers, body, onResponse: (_status, text) => keepId(text) }]))
      : await skipped();
    // Drain: from the end of the phase until every create it accepted was submitted (left `pending`),
    // so work deferred past the answer cannot flatter creates/s.
    const drainStart = performance.now();
    const accepted = ids.length - before;
    // Where the router says how much it still has to dispatch (microservices: its /metrics), the drain
    // ends when that is 0; then every accepted create is checked (the check's own time not counted).
    const routerMetrics = 'ports' in p ? `http://127.0.0.1:${p.ports.router[0]}/metrics` : undefined;
    const queueDepth = async () => Number(/^pipevideo_dispatch_queue_depth(?:\{[^}]*\})? (\d+)/m.exec(await (await fetch(routerMetrics!)).text())?.[1] ?? NaN);
    if (creates && routerMetrics) while ((await queueDepth()) > 0) await new Promise((r) => setTimeout(r, 20));
    const queueEmptySeconds = (performance.now() - drainStart) / 1000;
    const byProcessDrained = 'cpuByProcess' in p ? p.cpuByProcess() : undefined;
    let waiting = ids.slice(before);
    while (creates && waiting.length) {
      const still: string[] = [];
      for (let i = 0; i < waiting.length; i += 64) {
        const batch = waiting.slice(i, i + 64);
        const statuses = await Promise.all(batch.map(async (id) => (await (await fetch(`${p.baseUrl}/v1/video/generations/${id}`, { headers })).json() as any).status));
        batch.forEach((id, k) => statuses[k] === 'pending' && still.push(id));
      }
      waiting = still;
      if (waiting.length) await new Promise((r) => setTimeout(r, 200));
    }
    // Without the router's figure (embedded), until the check found none pending.
    const drainSeconds = routerMetrics ? queueEmptySeconds : (performance.now() - drainStart) / 1000;
    // Where a create's CPU goes, the drain included: each service, PostgreSQL, NATS (machine-wide
    // processes: run on an otherwise quiet machine).
    if (creates && byProcessBefore && 'cpuByProcess' in p && accepted) {
      const now = byProcessDrained ?? p.cpuByProcess();
      const parts = Object.keys(now).map((k) => [k, ((now[k] - (byProcessBefore[k] ?? 0)) / accepted) * 1e6] as const).sort((a, b) => b[1] - a[1]);
      const total = parts.reduce((a, [, v]) => a + v, 0);
      cpuLines.push(`  creates, the drain included, per create: ${parts.map(([k, v]) => `${k} ${v.toFixed(0)} µs`).join(', ')}; ${total.toFixed(0)} µs in all`);
    }
    const share = (r: typeof polls) => (r && echoResult ? `${((r.perSecond / echoResult.perSecond) * 100).toFixed(0)}%` : 'n/a');
    const lines = [
      '',
      `pnpm bench gateway${EMBEDDED ? ' --embedded' : ''} — ${DURATION_MS / 1000}s per phase, ${CONCURRENCY} concurrent clients, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
      ...(echoResult ? [row('echo (Nest→NATS→Nest)', echoResult)] : []),
      ...(models ? [row('GET /v1/models', models)] : []),
      ...(openapi ? [row('GET /openapi.json', openapi)] : []),
      ...(creates ? [row('POST /v1/video/generations', creates), `  drain: ${accepted} accepted creates all submitted ${drainSeconds.toFixed(1)} s after the phase; creates/s including the drain ${(accepted / (creates.seconds + drainSeconds)).toFixed(0)}`] : []),
      ...(polls ? [row('GET /v1/video/generations/id', polls)] : []),
      'CPU per request (this load generator; the server, from /proc):',
      ...cpuLines,
      `static: /v1/models at ${share(models)} of the echo, /openapi.json at ${share(openapi)} (aim ≥ 500%); creates at ${share(creates)} (aim ≥ 25%); polls at ${share(polls)} (aim ≥ 100%)`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await p.stop();
    echo.kill('SIGTERM');
  }
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
