import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * The one SQL helper of every service. Where SQL runs: the data source (a connection per call) or a
 * transaction's manager (that transaction's connection).
 */
export type Db = DataSource | EntityManager;

function isManager(db: Db): db is EntityManager {
  return typeof (db as DataSource).createQueryRunner !== 'function';
}

async function run<T>(runner: QueryRunner, text: string, params: unknown[]): Promise<T[]> {
  // The structured result gives rows for every command: TypeORM's plain result answers UPDATE/DELETE …
  // RETURNING with `[rows, rowCount]` but SELECT/INSERT with the rows; `records` is the rows for all of them.
  const res = await runner.query(text, params, true);
  return (res.records ?? []) as T[];
}

/** How often each prepared statement's tables changed shape since start: its current name's suffix. */
const staleness = new Map<string, number>();

/** pg's pool under TypeORM's PostgreSQL driver (`driver.master`), with the query form that names a statement. */
interface NamedStatementPool {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs one statement and returns its rows (also for INSERT/UPDATE/DELETE … RETURNING).
 *
 * `prepared`: a name for a statement on a hot path, run outside any transaction. It is prepared once per
 * connection (PostgreSQL parses and analyses it once; after five executions it keeps a generic plan),
 * instead of parsed, analysed and planned on every call: that was a third of PostgreSQL's CPU per
 * create under `pnpm bench gateway`. One name, one text: name each call site's statement. Inside a
 * transaction the name is ignored (the transaction's own connection runs it as usual).
 */
export async function rows<T = any>(db: Db, text: string, params: unknown[] = [], prepared?: string): Promise<T[]> {
  if (isManager(db) && db.queryRunner) return run<T>(db.queryRunner, text, params);
  const ds = isManager(db) ? db.connection : db;
  const pool = (ds.driver as unknown as { master?: NamedStatementPool }).master;
  if (prepared && pool && ds.driver.options.type === 'postgres') {
    // Seen by the data source's logger like every other statement (its query log, the tests' counts).
    ds.logger.logQuery(text, params);
    const name = `${prepared}#${staleness.get(prepared) ?? 0}`;
    try {
      return (await pool.query({ name, text, values: params })).rows as T[];
    } catch (err) {
      // A table the statement reads changed shape under it (a migration of a newer version during a
      // rolling deploy): PostgreSQL refuses the prepared statement on every connection that holds it.
      // From now on the statement is prepared under a new name; this call runs unprepared.
      if ((err as { code?: string }).code !== '0A000' || !/cached plan must not change result type/.test(String(err))) throw err;
      staleness.set(prepared, (staleness.get(prepared) ?? 0) + 1);
    }
  }
  const runner = ds.createQueryRunner();
  try {
    return await run<T>(runner, text, params);
  } finally {
    await runner.release();
  }
}

/** The first row of one statement, or undefined. */
export async function one<T = any>(db: Db, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(db, text, params))[0];
}

/** Runs fn in the caller's transaction when given a manager from one, else in a new transaction. */
export async function inTransaction<T>(db: Db, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (isManager(db) && db.queryRunner?.isTransactionActive) return fn(db);
  const ds = isManager(db) ? db.connection : db;
  return ds.transaction(fn);
}

/** PostgreSQL bigint/numeric come back as strings; cents always fit in a JS number. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
