import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Admin connection used to create and drop per-run databases (the machine's PostgreSQL by default). */
export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own for one test run; drop() removes it. */
export async function createTestDatabase(prefix = 'pv_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export const NATS_TEST_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Whether tests that need a NATS server may run. Off CI, a missing server skips them loudly;
 * under CI=true a missing server is a failure, never a silent skip.
 */
export async function requireNats(): Promise<boolean> {
  const { natsAnswers } = await import('../messaging/nats-transport');
  if (await natsAnswers(NATS_TEST_URL)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but no NATS server answers at ${NATS_TEST_URL}`);
  console.warn(`\n\n!!! NO NATS SERVER at ${NATS_TEST_URL}: SKIPPING the tests that need one. !!!\n\n`);
  return false;
}

/** Removes a test run's JetStream stream (its namespace prefix), so test runs leave nothing behind. */
export async function deleteNatsNamespace(prefix: string, url = NATS_TEST_URL): Promise<void> {
  const { connect } = await import('nats');
  const { natsConnectionOptions } = await import('../messaging/nats-transport');
  const { EVENT_STREAM } = await import('@pipevideo/contracts');
  const nc = await connect({ ...natsConnectionOptions(url), timeout: 2000 }).catch(() => undefined);
  if (!nc) return;
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`${prefix}_${EVENT_STREAM}`).catch(() => undefined);
    await jsm.streams.delete(`${prefix}_${EVENT_STREAM}_DLQ`).catch(() => undefined);
    // The namespace's key-value buckets (`Messaging.kv`): streams named KV_<prefix>_<bucket>.
    for await (const s of jsm.streams.list()) {
      if (s.config.name.startsWith(`KV_${prefix}_`)) await jsm.streams.delete(s.config.name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}
