/**
 * `pnpm bench scaling`: CPU per request of each service, measured (not estimated), and the replica
 * arithmetic for a target load. The platform runs in microservices mode (one process per service);
 * a phase of creates (each run to the end: hold, submit, callback, capture, webhook fan-out) and a
 * phase of polls, and each service's CPU time (/proc/<pid>/stat) is read around each phase.
 *
 * Env: SCALING_CREATES (default 300), SCALING_POLL_SECONDS (default 10), SCALING_TARGET_CREATES (1000/s),
 * SCALING_TARGET_POLLS (20000/s), SCALING_REPLICA_UTILISATION (0.6: a replica is sized to run at 60 %
 * of one core, Node's one thread, leaving headroom for bursts and GC).
 */
import { http, pollGeneration } from '../test/harness/http';
import { createFundedOrg, SERVICES, startMicroservices } from '../test/harness/platform';
import { load } from './load';

const CREATES = Number(process.env.SCALING_CREATES ?? 300);
const POLL_SECONDS = Number(process.env.SCALING_POLL_SECONDS ?? 10);
const TARGET_CREATES = Number(process.env.SCALING_TARGET_CREATES ?? 1000);
const TARGET_POLLS = Number(process.env.SCALING_TARGET_POLLS ?? 20000);
const UTILISATION = Number(process.env.SCALING_REPLICA_UTILISATION ?? 0.6);

const byService = (cpu: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(cpu)) out[name.split('#')[0]] = (out[name.split('#')[0]] ?? 0) + s;
  return out;
};
const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(SERVICES.map((s) => [s, (b[s] ?? 0) - (a[s] ?? 0)]));

async function main() {
  const p = await startMicroservices({ env: { LOG_LEVEL: 'warn', PIPEVIDEO_SANDBOX_JOB_MS: '200' } });
  try {
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000_000, 'scaling org');
    const body = { model: 'minimax/hailuo-02', prompt: 'scaling', provider: { order: ['fal'] } };
    // Warm up (JIT, connection pools), then measure.
    for (let i = 0; i < 20; i++) await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body });

    const c0 = byService(p.cpuSeconds());
    const ids: string[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (ids.length < CREATES) {
          ids.push('');
          const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body });
          if (r.status === 200) ids[ids.indexOf('')] = r.body.id;
        }
      }),
    );
    await Promise.all(ids.filter(Boolean).map((id) => pollGeneration(p.baseUrl, org.key, id, 180_000)));
    const createSeconds = (performance.now() - t0) / 1000;
    const c1 = byService(p.cpuSeconds());
    const polled = await load(POLL_SECONDS * 1000, 32, async (i) => (await http('GET', `${p.baseUrl}/v1/video/generations/${ids[i % ids.length]}`, { key: org.key })).status);
    const c2 = byService(p.cpuSeconds());

    const perCreate = delta(c0, c1);
    const perPoll = delta(c1, c2);
    const ms = (s: number, n: number) => ((s * 1000) / n).toFixed(2).padStart(8);
    console.log(`\npnpm bench scaling — ${CREATES} creates run to completion in ${createSeconds.toFixed(1)} s, then ${polled.requests} polls in ${polled.seconds.toFixed(1)} s (${polled.perSecond.toFixed(0)}/s)`);
    console.log(`\n${'service'.padEnd(10)} ${'CPU ms/create'.padStart(14)} ${'CPU ms/poll'.padStart(12)}   replicas for ${TARGET_CREATES} creates/s + ${TARGET_POLLS} polls/s at ${UTILISATION * 100}% of a core`);
    let total = 0;
    for (const s of SERVICES) {
      const coreSeconds = (perCreate[s] / CREATES) * TARGET_CREATES + (perPoll[s] / polled.requests) * TARGET_POLLS;
      const replicas = Math.max(2, Math.ceil(coreSeconds / UTILISATION));
      total += replicas;
      console.log(`${s.padEnd(10)} ${ms(perCreate[s], CREATES)}       ${ms(perPoll[s], polled.requests)}     ${coreSeconds.toFixed(1).padStart(6)} cores → ${replicas} replicas`);
    }
    console.log(`${'total'.padEnd(10)} ${' '.repeat(35)} ${total} replicas (PostgreSQL and NATS not included)\n`);
  } finally {
    await p.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
