import { DataSource, MixedList, EntitySchema } from 'typeorm';
import { CreateOutboxInbox1700000000000, MessagingRetentionIndexes1770000000001 } from '../messaging/messaging-migration';

export interface ServiceDbOptions {
  url: string;
  /** Each service owns one schema; its tables, outbox, inbox and migrations table live there. */
  schema: string;
  migrations: Array<new () => any>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type
  entities?: MixedList<Function | string | EntitySchema>;
  poolSize?: number;
}

export function createServiceDataSource(o: ServiceDbOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: o.url,
    schema: o.schema,
    entities: o.entities ?? [],
    migrations: [CreateOutboxInbox1700000000000, MessagingRetentionIndexes1770000000001, ...o.migrations],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    // search_path makes the service's raw SQL land in its own schema.
    extra: { max: o.poolSize ?? 10, options: `-c search_path=${o.schema}`, connectionTimeoutMillis: 5000 },
  });
}

/** Creates the schema if needed, connects, and runs pending migrations (each in its transaction). */
export async function initServiceDataSource(ds: DataSource): Promise<DataSource> {
  const schema = (ds.options as any).schema as string;
  const bootstrap = new DataSource({ type: 'postgres', url: (ds.options as any).url, extra: { max: 1 } });
  await bootstrap.initialize();
  try {
    // A least-privilege role owns its schema (made for it) but may not create schemas: only create a missing one.
    const [found] = await bootstrap.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema]);
    if (!found) await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    // Two replicas starting together may race on CREATE SCHEMA; the loser sees a duplicate.
    if (!/already exists|duplicate key/.test(String(err))) throw err;
  } finally {
    await bootstrap.destroy();
  }
  await ds.initialize();
  // An advisory lock per schema serialises migrations when several replicas start at once.
  const runner = ds.createQueryRunner();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`migrate:${schema}`]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`migrate:${schema}`]).catch(() => undefined);
    await runner.release();
  }
  return ds;
}
