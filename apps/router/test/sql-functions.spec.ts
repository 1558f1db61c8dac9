import { checkMigratedSqlFunctions } from '@pipevideo/platform';
import { ROUTER_MIGRATIONS } from '../src/service';
import { ROUTER_SQL_DIR } from '../src/migrations/sql-files';

// The current body of each PL/pgSQL function is its highest-numbered file in src/sql (docs/architecture.md).
describe('router PL/pgSQL functions', () => {
  it('a fresh database holds the current version of every function file, also after every migration is undone and redone', async () => {
    expect(await checkMigratedSqlFunctions({ schema: 'router', migrations: ROUTER_MIGRATIONS, sqlDir: ROUTER_SQL_DIR })).toEqual([]);
  });
});
