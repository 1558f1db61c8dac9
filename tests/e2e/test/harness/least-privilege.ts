import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { natsAuthorization, NATS_SERVICES, type NatsService } from '@pipevideo/contracts';
import { waitFor } from './http';

/**
 * The end-to-end platform runs with least privilege on, as production should: a NATS server of its own
 * with one user per service, each allowed only its edges (packages/contracts/src/nats-access.ts), and
 * one PostgreSQL role per service owning only its schema. A permission the code needs and the rules
 * lack fails a test. The test process itself connects without credentials, as the `admin` user.
 */
export interface AuthNats {
  url: string;
  creds: Record<NatsService, { user: string; password: string }>;
  stop(): Promise<void>;
}

export async function startAuthNats(prefix: string, ports: { client: number; monitor: number }): Promise<AuthNats> {
  const dir = mkdtempSync(join(tmpdir(), 'pv-nats-auth-'));
  const passwords = Object.fromEntries(NATS_SERVICES.map((s) => [s, randomBytes(12).toString('hex')])) as Record<NatsService, string>;
  const authorization = natsAuthorization(passwords, prefix ? `${prefix}.` : '');
  const config = {
    host: '127.0.0.1',
    port: ports.client,
    http_port: ports.monitor,
    jetstream: { store_dir: join(dir, 'js') },
    authorization: { users: [...authorization.users, { user: 'admin', password: randomBytes(12).toString('hex') }] },
    no_auth_user: 'admin',
  };
  const file = join(dir, 'nats.json');
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn('nats-server', ['-c', file], { stdio: 'ignore' });
  await waitFor('the authenticated NATS server', async () => (await fetch(`http://127.0.0.1:${ports.monitor}/healthz?js-enabled-only=true`)).ok, 30_000, 150);
  return {
    url: `nats://127.0.0.1:${ports.client}`,
    creds: Object.fromEntries(NATS_SERVICES.map((s) => [s, { user: s, password: passwords[s] }])) as AuthNats['creds'],
    async stop() {
      if (child.exitCode === null && !child.signalCode) await new Promise<void>((r) => child.once('exit', () => r()).kill('SIGTERM'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ServiceRoles {
  /** Each service's DATABASE_URL: its own role, which owns its schema and nothing else. */
  urls: Record<NatsService, string>;
  roles: Record<NatsService, string>;
  drop(): Promise<void>;
}

/** One login role per service in the test database, owning only its schema (created here, so no role may create schemas). */
export async function createServiceRoles(db: { url: string; name: string }): Promise<ServiceRoles> {
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  const roles = Object.fromEntries(NATS_SERVICES.map((s) => [s, `${db.name}_${s}`])) as Record<NatsService, string>;
  try {
    await admin.query(`REVOKE ALL ON DATABASE "${db.name}" FROM PUBLIC`);
    await admin.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    for (const s of NATS_SERVICES) {
      await admin.query(`CREATE ROLE "${roles[s]}" LOGIN`);
      await admin.query(`GRANT CONNECT ON DATABASE "${db.name}" TO "${roles[s]}"`);
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${s}" AUTHORIZATION "${roles[s]}"`);
    }
  } finally {
    await admin.end();
  }
  const urlOf = (role: string) => Object.assign(new URL(db.url), { username: role, password: '' }).toString();
  return {
    roles,
    urls: Object.fromEntries(NATS_SERVICES.map((s) => [s, urlOf(roles[s])])) as Record<NatsService, string>,
    async drop() {
      // After the database is dropped: roles are cluster-wide.
      const c = new Client({ connectionString: Object.assign(new URL(db.url), { pathname: '/postgres' }).toString() });
      await c.connect();
      try {
        for (const s of NATS_SERVICES) await c.query(`DROP ROLE IF EXISTS "${roles[s]}"`).catch(() => undefined);
      } finally {
        await c.end();
      }
    },
  };
}
