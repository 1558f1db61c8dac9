import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { createServiceDataSource, initServiceDataSource } from './data-source';
import { rows } from './sql';
import { recordStatements, type SentStatement } from '../testing/statements';

describe('rows(…, prepared)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let logged: SentStatement[];

  beforeAll(async () => {
    db = await createTestDatabase('pv_sql_prepared');
    ds = createServiceDataSource({ url: db.url, schema: 'prep', migrations: [], poolSize: 2 });
    await initServiceDataSource(ds);
    await ds.query(`CREATE TABLE things (id int PRIMARY KEY, name text)`);
    await ds.query(`INSERT INTO things VALUES (1, 'one'), (2, 'two')`);
    logged = recordStatements(ds).sent;
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('runs a named statement, prepared once per connection, and logs it like any other', async () => {
    for (let i = 0; i < 8; i++) expect(await rows(ds, `SELECT * FROM things WHERE id = $1`, [1], 'test.thing')).toEqual([{ id: 1, name: 'one' }]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`);
    expect(n).toBeGreaterThan(0);
    expect(logged.filter((q) => q.query === 'SELECT * FROM things WHERE id = $1')).toHaveLength(8);
  });

  it('survives a table that changes shape under the prepared statement (a rolling deploy\'s migration)', async () => {
    await Promise.all([rows(ds, `SELECT * FROM things ORDER BY id`, [], 'test.all'), rows(ds, `SELECT * FROM things ORDER BY id`, [], 'test.all')]);
    await ds.query(`ALTER TABLE things ADD COLUMN colour text DEFAULT 'red'`);
    for (let i = 0; i < 4; i++) {
      expect(await rows(ds, `SELECT * FROM things ORDER BY id`, [], 'test.all')).toEqual([{ id: 1, name: 'one', colour: 'red' }, { id: 2, name: 'two', colour: 'red' }]);
    }
  });

  it('other errors are thrown as they are', async () => {
    await expect(rows(ds, `SELECT * FROM things WHERE id = $1`, ['not a number'], 'test.bad')).rejects.toMatchObject({ code: '22P02' });
  });
});
