/**
 * `pnpm bench gateway`: creates/s (and the drain time until every accepted create was submitted),
 * polls/s and the static answers (`/v1/models`, `/openapi.json`) with p50/p99 against the whole platform
 * (five services as separate processes on NATS, the provider sandboxes), next to a NestJS→NATS→NestJS
 * echo measured in the same run as the ceiling. `-- --embedded`: the same against embedded mode (one
 * process, as `pnpm start` runs it). Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { load, row } from './load';
import { createFundedOrg, startEmbeddedProcess, startMicroservices } from '../test/harness/platform';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** Which measured phases to run (all by default); one phase alone is handy under a profiler. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'echo,models,openapi,polls,creates').split(',').map((s) => s.trim()));
const EMBEDDED = process.argv.includes('--embedded');
const skipped = () => Promise.resolve(undefined);

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
    ? await startEmbeddedProcess({ env: { ...env, PIPEVIDEO_SANDBOX_JOB_MS: '5000' } }).then((e) => ({ baseUrl: e.baseUrl, adminToken: e.adminToken, stop: () => e.stop().then(() => undefined) }))
    : await startMicroservices({ env });
  try {
    const { key } = await createFundedOrg(p.baseUrl, p.adminToken, 100_000_000, 'bench org');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    // Warm up every path once.
    await load(1000, 4, async (i) => (await fetch(`${echoUrl}/echo/${i}`)).status);
    const echoResult = PHASES.has('echo')
      ? await load(DURATION_MS, CONCURRENCY, async (i) => {
          const r = await fetch(`${echoUrl}/echo/${i}`);
          await r.arrayBuffer();
          return r.status;
        })
      : await skipped();
    const staticPhase = (path: string) =>
      load(DURATION_MS, CONCURRENCY, async () => {
        const r = await fetch(`${p.baseUrl}${path}`);
        await r.arrayBuffer();
        return r.status;
      });
    const models = PHASES.has('models') ? await staticPhase('/v1/models') : await skipped();
    const openapi = PHASES.has('openapi') ? await staticPhase('/openapi.json') : await skipped();
    const ids: string[] = [];
    const body = JSON.stringify({ model: 'google/veo-3.1', prompt: 'A cat walking on a beach at sunset [any:never_callback]', provider: { order: ['fal'] } });
    const create = async () => {
      const r = await fetch(`${p.baseUrl}/v1/video/generations`, { method: 'POST', headers, body });
      const j: any = await r.json();
      if (j?.id) ids.push(j.id);
      return r.status;
    };
    // Polls first, on a few generations made beforehand and settled, so creates' background work
    // (holds, submits, callbacks) does not run during the poll phase.
    await load(2000, 4, create);
    await new Promise((r) => setTimeout(r, 3000));
    const polls = PHASES.has('polls')
      ? await load(DURATION_MS, CONCURRENCY, async (i) => {
          const r = await fetch(`${p.baseUrl}/v1/video/generations/${ids[i % ids.length]}`, { headers });
          await r.arrayBuffer();
          return r.status;
        })
      : await skipped();
    const before = ids.length;
    const creates = PHASES.has('creates') ? await load(DURATION_MS, CONCURRENCY, create) : await skipped();
    // Drain: from the end of the phase until every create it accepted was submitted (left `pending`),
    // so work deferred past the answer cannot flatter creates/s.
    const drainStart = performance.now();
    let waiting = ids.slice(before);
    const accepted = waiting.length;
    while (creates && waiting.length) {
      const still: string[] = [];
      for (let i = 0; i < waiting.length; i += 16) {
        const batch = waiting.slice(i, i + 16);
        const statuses = await Promise.all(batch.map(async (id) => (await (await fetch(`${p.baseUrl}/v1/video/generations/${id}`, { headers })).json() as any).status));
        batch.forEach((id, k) => statuses[k] === 'pending' && still.push(id));
      }
      waiting = still;
      if (waiting.length) await new Promise((r) => setTimeout(r, 200));
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const share = (r: typeof polls) => (r && echoResult ? `${((r.perSecond / echoResult.perSecond) * 100).toFixed(0)}%` : 'n/a');
    const lines = [
      '',
      `pnpm bench gateway${EMBEDDED ? ' --embedded' : ''} — ${DURATION_MS / 1000}s per phase, ${CONCURRENCY} concurrent clients, ${require('node:os').cpus().length} cores, load average ${require('node:os').loadavg().map((x: number) => x.toFixed(1)).join(' ')}`,
      ...(echoResult ? [row('echo (Nest→NATS→Nest)', echoResult)] : []),
      ...(models ? [row('GET /v1/models', models)] : []),
      ...(openapi ? [row('GET /openapi.json', openapi)] : []),
      ...(creates ? [row('POST /v1/video/generations', creates), `  drain: ${accepted} accepted creates all submitted ${drainSeconds.toFixed(1)} s after the phase; creates/s including the drain ${(accepted / (creates.seconds + drainSeconds)).toFixed(0)}`] : []),
      ...(polls ? [row('GET /v1/video/generations/id', polls)] : []),
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
