import type { DataSource } from 'typeorm';
import { createServiceDataSource, createTestDatabase, initServiceDataSource, TestDatabase } from '@pipevideo/platform';
import { Ledger } from '../src/ledger/ledger';
import { UsageBook } from '../src/usage/usage-book';
import { BILLING_MIGRATIONS } from '../src/service';

export interface LedgerFixture {
  db: TestDatabase;
  ds: DataSource;
  ledger: Ledger;
  usage: UsageBook;
  close(): Promise<void>;
}

/** A fresh database with billing's schema migrated, and the domain objects on it. */
export async function ledgerFixture(poolSize = 10): Promise<LedgerFixture> {
  const db = await createTestDatabase('pv_billing');
  const ds = createServiceDataSource({ url: db.url, schema: 'billing', migrations: BILLING_MIGRATIONS, poolSize });
  await initServiceDataSource(ds);
  return {
    db,
    ds,
    ledger: new Ledger(ds),
    usage: new UsageBook(ds),
    async close() {
      await ds.destroy();
      await db.drop();
    },
  };
}

/** Balance of a platform account (revenue, write-off, sources) from its entries. */
export async function accountBalance(ds: DataSource, code: string): Promise<number> {
  const [r] = await ds.query(
    `SELECT coalesce(sum(e.amount_cents), 0) AS s FROM ledger_entries e JOIN accounts a ON a.id = e.account_id WHERE a.code = $1`,
    [code],
  );
  return Number(r.s);
}
