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

/** Runs one statement and returns its rows (also for INSERT/UPDATE/DELETE … RETURNING). */
export async function rows<T = any>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  if (isManager(db) && db.queryRunner) return run<T>(db.queryRunner, text, params);
  const ds = isManager(db) ? db.connection : db;
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
