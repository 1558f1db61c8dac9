import { createServiceDataSource, initServiceDataSource } from '../db/data-source';
import { checkSqlFunctions } from '../db/sql-functions';
import { createTestDatabase } from './test-database';

/**
 * For a service's tests: on a fresh database, its migrations leave exactly the current version of each
 * PL/pgSQL file in the schema; undoing every migration (each `down` loads the frozen version it restores)
 * and migrating again gives the same. Returns the differences (empty = in step).
 */
export async function checkMigratedSqlFunctions(o: { schema: string; migrations: (new () => any)[]; sqlDir: string }): Promise<string[]> {
  const db = await createTestDatabase(`pv_sqlfn_${o.schema}`);
  const ds = createServiceDataSource({ url: db.url, schema: o.schema, migrations: o.migrations, poolSize: 2 });
  try {
    await initServiceDataSource(ds);
    const problems = await checkSqlFunctions(ds, o.schema, o.sqlDir);
    // Every migration of the data source (the platform's messaging ones sort among the service's by timestamp).
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    const [left] = await ds.query(
      `SELECT count(*)::int AS n FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
      [o.schema],
    );
    if (left.n !== 0) problems.push(`${left.n} function(s) left in ${o.schema} after undoing every migration`);
    await ds.runMigrations({ transaction: 'each' });
    problems.push(...(await checkSqlFunctions(ds, o.schema, o.sqlDir)).map((p) => `after down + up: ${p}`));
    return problems;
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  }
}
