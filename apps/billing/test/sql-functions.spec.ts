import { checkMigratedSqlFunctions } from '@pipevideo/platform';
import { BILLING_MIGRATIONS } from '../src/service';
import { BILLING_SQL_DIR } from '../src/db/migrations/sql-files';

// The current body of each PL/pgSQL function is its highest-numbered file in src/db/sql (docs/architecture.md).
describe('billing PL/pgSQL functions', () => {
  it('a fresh database holds the current version of every function file, also after every migration is undone and redone', async () => {
    expect(await checkMigratedSqlFunctions({ schema: 'billing', migrations: BILLING_MIGRATIONS, sqlDir: BILLING_SQL_DIR })).toEqual([]);
  });
});
