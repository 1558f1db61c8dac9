/**
 * `pnpm bench gateway`: creates/s and polls/s with p50/p99 against the whole platform (five services
 * as separate processes on NATS, the provider sandboxes), next to a NestJS→NATS→NestJS echo measured in
 * the same run as the ceiling. Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { load, row } from './load';
import { createFundedOrg, startMicroservices } from '../test/harness/platform';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
/** Which measured phases to run (all by default); one phase alone is handy under a profiler. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'echo,polls,creates').split(',').map((s) => s.trim()));
const skipped = () => Promise.resolve(undefined);

async function main() {
  const echo = fork(join(__dirname, 'echo-server.cjs'), [], { execArgv: [], env: { ...process.env, LOG_LEVEL: 'error' } });
  const echoUrl: string = await new Promise((r) => echo.on('message', (m: any) => m?.ready && r(m.url)));
  // Production intervals and timeouts (the tests' fast ones would add background load), and no
  // rate limit (it would cap the run at 100/min).
  const p = await startMicroservices({
    env: {
      PIPEVIDEO_RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: 'error',
      PIPEVIDEO_CALLBACK_TIMEOUT_MS: '900000',
      PIPEVIDEO_POLL_TIMEOUT_MS: '600000',
      PIPEVIDEO_SWEEP_INTERVAL_MS: '1000',
      PIPEVIDEO_DISPATCH_LEASE_MS: '30000',
      PIPEVIDEO_PROVIDERS_POLL_INTERVAL_MS: '1000',
    },
  });
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
    const creates = PHASES.has('creates') ? await load(DURATION_MS, CONCURRENCY, create) : await skipped();
    const share = (r: typeof polls) => (r && echoResult ? `${((r.perSecond / echoResult.perSecond) * 100).toFixed(0)}%` : 'n/a');
    const lines = [
      '',
      `pnpm bench gateway — ${DURATION_MS / 1000}s per phase, ${CONCURRENCY} concurrent clients, ${require('node:os').cpus().length} cores`,
      ...(echoResult ? [row('echo (Nest→NATS→Nest)', echoResult)] : []),
      ...(creates ? [row('POST /v1/video/generations', creates)] : []),
      ...(polls ? [row('GET /v1/video/generations/id', polls)] : []),
      `creates at ${share(creates)} of the echo (aim ≥ 40%), polls at ${share(polls)} (aim ≥ 70%)`,
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
