import type { MigrationInterface, QueryRunner } from 'typeorm';

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
    await q.query(`CREATE FUNCTION ledger_assert_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE s bigint;
      BEGIN
        SELECT coalesce(sum(amount_cents), 0) INTO s FROM ledger_entries WHERE transaction_id = NEW.transaction_id;
        IF s <> 0 THEN
          RAISE EXCEPTION 'ledger transaction % is unbalanced: its entries sum to % cents', NEW.transaction_id, s
            USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_assert_balanced()`);

    // Immutability: a correction is a new transaction, never an edit.
    await q.query(`CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % refused: the ledger is append-only, post a correcting transaction instead', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
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
    await q.query(ENSURE_ORG_V1);

    // The hot path: a batch of holds in one round trip and one commit (the Ledger coalesces
    // concurrent placements). Items are processed in the given order, which callers sort by org so
    // that concurrent batches lock org rows in the same order (no deadlocks); each item behaves
    // exactly as if placed alone. Lock order everywhere: the org's balance row first.
    // Outcomes: placed | existing (same holdId already placed: a replay) | insufficient | tombstone.
    await q.query(PLACE_HOLDS_V1);
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

/** ensure_org as this migration created it (1710000000200 replaces it; its down puts this back). */
export const ENSURE_ORG_V1 = `CREATE FUNCTION ensure_org(p_org text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE a bigint; h bigint;
      BEGIN
        IF EXISTS (SELECT 1 FROM org_balances WHERE org_id = p_org) THEN RETURN; END IF;
        INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':available', 'org_available', p_org) ON CONFLICT (code) DO NOTHING;
        INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':held', 'org_held', p_org) ON CONFLICT (code) DO NOTHING;
        SELECT id INTO a FROM accounts WHERE code = 'org:' || p_org || ':available';
        SELECT id INTO h FROM accounts WHERE code = 'org:' || p_org || ':held';
        INSERT INTO org_balances (org_id, available_account_id, held_account_id) VALUES (p_org, a, h) ON CONFLICT (org_id) DO NOTHING;
      END $$`;

/** place_holds as this migration created it (1710000000200 replaces it; its down puts this back). */
export const PLACE_HOLDS_V1 = `CREATE FUNCTION place_holds(p_orgs text[], p_holds text[], p_generations text[], p_amounts bigint[])
      RETURNS TABLE (r_idx int, r_outcome text, r_org text, r_amount bigint, r_available bigint, r_held bigint)
      LANGUAGE plpgsql AS $$
      DECLARE
        b org_balances%ROWTYPE;
        h holds%ROWTYPE;
        tx bigint;
        i int;
        v_org text;
        v_hold text;
        v_amount bigint;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
          v_org := p_orgs[i];
          v_hold := p_holds[i];
          v_amount := p_amounts[i];
          r_idx := i;
          SELECT * INTO h FROM holds WHERE hold_id = v_hold;
          IF FOUND THEN
            SELECT CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END, h.org_id, h.amount_cents,
                   coalesce((SELECT available_cents FROM org_balances WHERE org_id = h.org_id), 0::bigint),
                   coalesce((SELECT held_cents FROM org_balances WHERE org_id = h.org_id), 0::bigint)
              INTO r_outcome, r_org, r_amount, r_available, r_held;
            RETURN NEXT;
            CONTINUE;
          END IF;
          IF v_amount = 0 THEN PERFORM ensure_org(v_org); END IF;
          UPDATE org_balances SET available_cents = available_cents - v_amount, held_cents = held_cents + v_amount, updated_at = now()
            WHERE org_id = v_org AND available_cents >= v_amount
            RETURNING * INTO b;
          IF NOT FOUND THEN
            SELECT 'insufficient', v_org, v_amount,
                   coalesce((SELECT available_cents FROM org_balances WHERE org_id = v_org), 0::bigint),
                   coalesce((SELECT held_cents FROM org_balances WHERE org_id = v_org), 0::bigint)
              INTO r_outcome, r_org, r_amount, r_available, r_held;
            RETURN NEXT;
            CONTINUE;
          END IF;
          INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status) VALUES (v_hold, v_org, p_generations[i], v_amount, 'open')
            ON CONFLICT (hold_id) DO NOTHING;
          IF NOT FOUND THEN
            -- An identical request won the race: give the reservation back and answer as its replay.
            UPDATE org_balances SET available_cents = available_cents + v_amount, held_cents = held_cents - v_amount
              WHERE org_id = v_org RETURNING * INTO b;
            SELECT * INTO h FROM holds WHERE hold_id = v_hold;
            r_outcome := CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END;
            r_org := h.org_id; r_amount := h.amount_cents; r_available := b.available_cents; r_held := b.held_cents;
            RETURN NEXT;
            CONTINUE;
          END IF;
          IF v_amount > 0 THEN
            INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents)
              VALUES ('hold:' || v_hold, 'hold', v_org, p_generations[i], v_hold, v_amount) RETURNING id INTO tx;
            INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
              VALUES (tx, b.available_account_id, -v_amount), (tx, b.held_account_id, v_amount);
          END IF;
          r_outcome := 'placed'; r_org := v_org; r_amount := v_amount; r_available := b.available_cents; r_held := b.held_cents;
          RETURN NEXT;
        END LOOP;
      END $$`;
