import { checkMigratedSqlFunctions } from '@pipevideo/platform';
import { WEBHOOKS_MIGRATIONS } from '../src/service';
import { WEBHOOKS_SQL_DIR } from '../src/migrations/sql-files';

// The current body of each PL/pgSQL function is its highest-numbered file in src/sql (docs/architecture.md).
describe('webhooks PL/pgSQL functions', () => {
  it('a fresh database holds the current version of every function file, also after every migration is undone and redone', async () => {
    expect(await checkMigratedSqlFunctions({ schema: 'webhooks', migrations: WEBHOOKS_MIGRATIONS, sqlDir: WEBHOOKS_SQL_DIR })).toEqual([]);
  });
});
