/**
 * `pnpm start:services [--replicas router=2,webhooks=2]`: every service as its own process (as in
 * production) against this machine's NATS and PostgreSQL, the provider sandboxes and the Stripe
 * stand-in — so a platform team can try scaling one service without Docker. The same launcher the
 * end-to-end tests use (test/harness/platform.ts). Data stays in the database `pipevideo_services`
 * (DATABASE_URL to choose another); Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createFundedOrg, SERVICES, ServiceName, startMicroservices } from '../test/harness/platform';

function parseReplicas(args: string[]): Partial<Record<ServiceName, number>> {
  const out: Partial<Record<ServiceName, number>> = {};
  const specs = args.flatMap((a, i) => (a === '--replicas' ? [args[i + 1] ?? ''] : a.startsWith('--replicas=') ? [a.slice(11)] : []));
  for (const part of specs.join(',').split(',').filter(Boolean)) {
    const [name, n] = part.split('=');
    if (!(SERVICES as readonly string[]).includes(name) || !/^[1-9]\d?$/.test(n ?? '')) {
      console.error(`--replicas takes service=count pairs, e.g. router=2,webhooks=3 (services: ${SERVICES.join(', ')}); got "${part}"`);
      process.exit(2);
    }
    out[name as ServiceName] = Number(n);
  }
  return out;
}

async function ensureDatabase(url: string): Promise<{ url: string; name: string }> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  if (!(await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount) await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return { url, name };
}

async function main() {
  const replicas = parseReplicas(process.argv.slice(2));
  const database = await ensureDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pipevideo_services');
  const p = await startMicroservices({
    replicas,
    database,
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', // this machine's NATS, as the doc says
    gatewayPort: Number(process.env.PORT ?? 3001),
    adminToken: process.env.PIPEVIDEO_ADMIN_TOKEN ?? randomBytes(24).toString('base64url'),
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', PIPEVIDEO_SANDBOX_JOB_MS: '3000' },
  });
  const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'services org');
  const lines = SERVICES.map((s) => `  ${s.padEnd(10)} ${p.ports[s].map((port) => `:${port}`).join(' ')}   (/metrics, /health/ready on each)`);
  console.log(['', 'Pipevideo is running, one process per service replica:', ...lines, '', `  Base URL:     ${p.baseUrl}`, `  API key:      ${org.key}`, `  Admin token:  ${p.adminToken}`, `  Database:     ${database.url}`, `  Sign-in mail: ${p.mail.url}/messages?to=<email>`, `  OIDC issuer:  ${p.oidc.issuer} (sandbox; any email signs in)`, '', 'Ctrl-C stops it.', ''].join('\n'));
  const stop = async () => {
    await p.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(`start:services failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
