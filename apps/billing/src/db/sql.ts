import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Where billing SQL runs: the data source (own connection per call) or a transaction's manager. */
export type Db = DataSource | EntityManager;

function isManager(db: Db): db is EntityManager {
  return typeof (db as DataSource).createQueryRunner !== 'function';
}

async function run(runner: QueryRunner, text: string, params: unknown[]): Promise<any[]> {
  // The structured result gives rows for every command (TypeORM's plain result wraps UPDATE … RETURNING).
  const res = await runner.query(text, params, true);
  return (res.records ?? []) as any[];
}

/** Runs one statement and returns its rows (also for INSERT/UPDATE … RETURNING). */
export async function rows<T = Record<string, any>>(db: Db, text: string, params: unknown[] = []): Promise<T[]> {
  if (isManager(db) && db.queryRunner) return run(db.queryRunner, text, params);
  const ds = (isManager(db) ? db.connection : db) as DataSource;
  const runner = ds.createQueryRunner();
  try {
    return await run(runner, text, params);
  } finally {
    await runner.release();
  }
}

export async function one<T = Record<string, any>>(db: Db, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(db, text, params))[0];
}

/** Runs fn in the caller's transaction when given a manager from one, else in a new transaction. */
export async function inTransaction<T>(db: Db, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (isManager(db) && db.queryRunner?.isTransactionActive) return fn(db);
  const ds = (isManager(db) ? db.connection : db) as DataSource;
  return ds.transaction(fn);
}

/** PostgreSQL bigint/numeric come back as strings; cents always fit in a JS number. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
