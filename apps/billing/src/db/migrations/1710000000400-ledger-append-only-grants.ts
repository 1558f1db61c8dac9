import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger is append-only by grants too, not only by its triggers: the role billing runs as (its own
 * role, which owns the schema, in a least-privilege deployment) gives up UPDATE, DELETE and TRUNCATE on
 * the entries and transactions, so even a bug that disabled the triggers could not rewrite history. (A
 * superuser, as in development, is not bound by grants; the triggers still hold there.)
 */
export class LedgerAppendOnlyGrants1710000000400 implements MigrationInterface {
  name = 'LedgerAppendOnlyGrants1710000000400';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entries, ledger_transactions FROM CURRENT_USER`);
    // A foreign key check locks the referenced row (FOR KEY SHARE), which PostgreSQL allows only with
    // UPDATE on some column of it: the entries reference their transaction, so its `id` column keeps
    // UPDATE — changing an id is still refused by the immutability trigger.
    await q.query(`GRANT UPDATE (id) ON ledger_transactions TO CURRENT_USER`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE UPDATE (id) ON ledger_transactions FROM CURRENT_USER`);
    await q.query(`GRANT UPDATE, DELETE, TRUNCATE ON ledger_entries, ledger_transactions TO CURRENT_USER`);
  }
}
