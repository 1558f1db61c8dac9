import type { MigrationInterface, QueryRunner } from 'typeorm';
import { billingSql } from './sql-files';

/**
 * The double-entry ledger. Money only moves by inserting a balanced ledger transaction (its entries
 * sum to zero, checked at commit by a deferred constraint trigger); entries and transactions can
 * never be updated, deleted or truncated. `org_balances` caches each org's two account balances and
 * is updated in the same transaction as the entries (checkable with `billing.ledger.check`).
 * Sign convention: an account's balance is the sum of its entries; org accounts and revenue are
 * positive, top-up sources and the write-off account go negative by what they let in.
 */
export class CreateLedger1710000000000 implements MigrationInterface {
  name = 'CreateLedger1710000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE accounts (
      id bigserial PRIMARY KEY,
      code text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('org_available', 'org_held', 'platform_revenue', 'topup_source', 'writeoff')),
      org_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind IN ('org_available', 'org_held')) = (org_id IS NOT NULL)))`);
    await q.query(`INSERT INTO accounts (code, kind) VALUES
      ('platform:revenue', 'platform_revenue'), ('platform:writeoff', 'writeoff'),
      ('source:operator', 'topup_source'), ('source:stripe', 'topup_source'), ('source:sandbox', 'topup_source')`);

    // The per-org lock and cache. fillfactor leaves room for HOT updates of a hot org's row.
    await q.query(`CREATE TABLE org_balances (
      org_id text PRIMARY KEY,
      available_account_id bigint NOT NULL REFERENCES accounts (id),
      held_account_id bigint NOT NULL REFERENCES accounts (id),
      available_cents bigint NOT NULL DEFAULT 0 CHECK (available_cents >= 0),
      held_cents bigint NOT NULL DEFAULT 0 CHECK (held_cents >= 0),
      updated_at timestamptz NOT NULL DEFAULT now()) WITH (fillfactor = 50)`);

    await q.query(`CREATE TABLE ledger_transactions (
      id bigserial PRIMARY KEY,
      idempotency_key text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('topup', 'hold', 'capture', 'release', 'token_charge', 'refund', 'correction')),
      org_id text,
      generation_id text,
      hold_id text,
      amount_cents bigint NOT NULL DEFAULT 0,
      metadata jsonb,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX ledger_transactions_generation ON ledger_transactions (generation_id) WHERE generation_id IS NOT NULL`);

    await q.query(`CREATE TABLE ledger_entries (
      id bigserial PRIMARY KEY,
      transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
      account_id bigint NOT NULL REFERENCES accounts (id),
      amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id)`);
    await q.query(`CREATE INDEX ledger_entries_account ON ledger_entries (account_id)`);

    // Every transaction sums to zero, checked when the DB transaction commits (entries of one
    // ledger transaction may be inserted by several statements).
    await q.query(billingSql('ledger_assert_balanced', 1));
    await q.query(`CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_assert_balanced()`);

    // Immutability: a correction is a new transaction, never an edit.
    await q.query(billingSql('ledger_refuse_change', 1));
    for (const t of ['ledger_entries', 'ledger_transactions']) {
      await q.query(`CREATE TRIGGER ${t}_immutable BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await q.query(`CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
      await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${t} FROM PUBLIC`);
    }

    // Holds: the state machine open → captured | released. `placed` is false for a tombstone written
    // when a release/capture arrived for a hold that was never placed, so a late placement is refused.
    await q.query(`CREATE TABLE holds (
      hold_id text PRIMARY KEY,
      org_id text NOT NULL,
      generation_id text,
      amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
      status text NOT NULL CHECK (status IN ('open', 'captured', 'released')),
      placed boolean NOT NULL DEFAULT true,
      charged_cents bigint NOT NULL DEFAULT 0,
      released_cents bigint NOT NULL DEFAULT 0,
      written_off_cents bigint NOT NULL DEFAULT 0,
      settled_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz) WITH (fillfactor = 80)`);
    await q.query(`CREATE INDEX holds_open ON holds (org_id) WHERE status = 'open'`);
    await q.query(`CREATE INDEX holds_generation ON holds (generation_id)`);

    await q.query(`CREATE TABLE usage_records (
      id text PRIMARY KEY,
      org_id text NOT NULL,
      api text NOT NULL CHECK (api IN ('video', 'responses')),
      model text,
      provider text,
      status text NOT NULL,
      cost_cents bigint NOT NULL DEFAULT 0,
      input_tokens bigint,
      output_tokens bigint,
      app_title text,
      created_at timestamptz NOT NULL,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX usage_records_org_created ON usage_records (org_id, created_at DESC, id DESC)`);

    await q.query(`CREATE TABLE stripe_events (
      event_id text PRIMARY KEY,
      type text NOT NULL,
      session_id text,
      transaction_id bigint,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now())`);

    // Creates an org's two accounts and its balance row (idempotent, safe under concurrency).
    await q.query(billingSql('ensure_org', 1));

    // The hot path: a batch of holds in one round trip and one commit (the Ledger coalesces
    // concurrent placements). Items are processed in the given order, which callers sort by org so
    // that concurrent batches lock org rows in the same order (no deadlocks); each item behaves
    // exactly as if placed alone. Lock order everywhere: the org's balance row first.
    // Outcomes: placed | existing (same holdId already placed: a replay) | insufficient | tombstone.
    await q.query(billingSql('place_holds', 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS place_holds(text[], text[], text[], bigint[])`);
    await q.query(`DROP FUNCTION IF EXISTS ensure_org(text)`);
    for (const t of ['stripe_events', 'usage_records', 'holds', 'ledger_entries', 'ledger_transactions', 'org_balances', 'accounts']) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS ledger_refuse_change()`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_assert_balanced()`);
  }
}
