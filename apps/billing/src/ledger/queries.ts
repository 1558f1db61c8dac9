import type { DataSource } from 'typeorm';
import { BalanceView, type KeyLimitReset, keyLimitWindow } from '@pipevideo/contracts';
import { type Db, num, one, rows } from '@pipevideo/platform';
import { balanceView, emptyBalance } from './accounts';
import type { HoldRow } from './posting';

export interface GenerationCharges {
  /** Net revenue booked for the generation (all captures/charges minus refunds). */
  revenueCents: number;
  /** Net write-off booked for it (negative: a shortfall absorbed before orgs could owe; 0 since). */
  writeoffCents: number;
  /** What the org was charged (paid or owes) net of refunds: revenue + write-off. */
  chargedCents: number;
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface LedgerCheck {
  balanced: boolean;
  transactions_unbalanced: number;
  cached_mismatches: number;
  /** Orgs whose held balance differs from the sum of their open holds. */
  holds_mismatches: number;
  /** Sum of every entry ever posted (must be 0). */
  imbalance_cents: number;
}

export interface Receivables {
  /** What all orgs owe together. */
  owedCents: number;
  /** Orgs that owe something. */
  orgsOwing: number;
}


/** Reads of the ledger: balances, the invariants check, what a generation cost, key spend. Never writes. */
export class LedgerQueries {
  constructor(private readonly ds: DataSource) {}

  async balance(orgId: string, db: Db = this.ds): Promise<BalanceView> {
    const r = await one(db, `SELECT available_cents, held_cents, owed_cents FROM org_balances WHERE org_id = $1`, [orgId]);
    return r ? balanceView({ availableCents: num(r.available_cents), heldCents: num(r.held_cents), owedCents: num(r.owed_cents) }) : emptyBalance();
  }

  /** What orgs owe in total, and how many owe (for the receivables gauges). */
  async receivables(db: Db = this.ds): Promise<Receivables> {
    const r = await one(db, `SELECT coalesce(sum(owed_cents), 0) AS s, count(*) FILTER (WHERE owed_cents > 0) AS n FROM org_balances`);
    return { owedCents: num(r?.s), orgsOwing: num(r?.n) };
  }

  async openHolds(db: Db = this.ds): Promise<number> {
    const r = await one(db, `SELECT count(*)::bigint AS n FROM holds WHERE status = 'open'`);
    return num(r?.n);
  }

  /** Sum of all entries ever posted: 0 unless the ledger is broken. */
  async imbalanceCents(db: Db = this.ds): Promise<number> {
    const r = await one(db, `SELECT coalesce(sum(amount_cents), 0) AS s FROM ledger_entries`);
    return num(r?.s);
  }

  /**
   * Verifies the invariants: balanced transactions, cache = sum of entries (available, held, and
   * owed = minus the receivable account), held = open holds.
   */
  async check(db: Db = this.ds): Promise<LedgerCheck> {
    const unbalanced = await one(
      db,
      `SELECT count(*) AS n FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING sum(amount_cents) <> 0) x`,
    );
    const cache = await one(
      db,
      `SELECT count(*) AS n FROM org_balances b
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount_cents), 0) AS s FROM ledger_entries WHERE account_id = b.available_account_id) av
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount_cents), 0) AS s FROM ledger_entries WHERE account_id = b.held_account_id) hd
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount_cents), 0) AS s FROM ledger_entries WHERE account_id = b.owed_account_id) ow
       WHERE b.available_cents <> av.s OR b.held_cents <> hd.s OR b.owed_cents <> -ow.s`,
    );
    const holds = await one(
      db,
      `SELECT count(*) AS n FROM org_balances b
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount_cents), 0) AS s FROM holds WHERE org_id = b.org_id AND status = 'open') h
       WHERE b.held_cents <> h.s`,
    );
    const imbalance = await this.imbalanceCents(db);
    const r = {
      transactions_unbalanced: num(unbalanced?.n),
      cached_mismatches: num(cache?.n),
      holds_mismatches: num(holds?.n),
      imbalance_cents: imbalance,
    };
    return { balanced: r.transactions_unbalanced === 0 && r.cached_mismatches === 0 && r.holds_mismatches === 0 && imbalance === 0, ...r };
  }

  /**
   * Net money a generation cost its org, from the ledger (captures, token charges, refunds). What the
   * org owes for it counts as charged: the revenue is booked in full and the org owes the rest.
   */
  async generationCharges(generationId: string, db: Db = this.ds): Promise<GenerationCharges> {
    const sums = await rows(
      db,
      `SELECT a.kind, sum(e.amount_cents) AS s
         FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id JOIN accounts a ON a.id = e.account_id
        WHERE t.generation_id = $1 AND a.kind IN ('platform_revenue', 'writeoff') GROUP BY a.kind`,
      [generationId],
    );
    const tokens = await one(
      db,
      `SELECT count(*) AS n, sum((metadata->>'inputTokens')::bigint) AS input, sum((metadata->>'outputTokens')::bigint) AS output
         FROM ledger_transactions WHERE generation_id = $1 AND kind = 'token_charge'`,
      [generationId],
    );
    const revenueCents = num(sums.find((s) => s.kind === 'platform_revenue')?.s);
    const writeoffCents = num(sums.find((s) => s.kind === 'writeoff')?.s);
    const hasTokens = num(tokens?.n) > 0;
    return {
      revenueCents,
      writeoffCents,
      chargedCents: revenueCents + writeoffCents,
      inputTokens: hasTokens ? num(tokens?.input) : null,
      outputTokens: hasTokens ? num(tokens?.output) : null,
    };
  }

  async hasTokenCharge(generationId: string, db: Db = this.ds): Promise<boolean> {
    return !!(await one(db, `SELECT 1 FROM ledger_transactions WHERE generation_id = $1 AND kind = 'token_charge' LIMIT 1`, [generationId]));
  }

  async holdStatus(holdId: string, db: Db = this.ds): Promise<HoldRow['status'] | null> {
    const r = await one<{ status: HoldRow['status'] }>(db, `SELECT status FROM holds WHERE hold_id = $1`, [holdId]);
    return r?.status ?? null;
  }

  /**
   * What each key spent or holds in its limit's current window (`GET /v1/keys` shows the rest of the
   * limit): open holds at their amount, the others at what they charged net of refunds, as `place_holds` counts.
   */
  async keySpend(orgId: string, keys: Array<{ keyId: string; reset: KeyLimitReset }>, db: Db = this.ds): Promise<Array<{ keyId: string; spentCents: number; windowStart: string; resetsAt: string | null }>> {
    if (!keys.length) return [];
    const windows = keys.map((k) => ({ ...k, ...keyLimitWindow(k.reset) }));
    const sums = await rows<{ key_id: string; s: string }>(
      db,
      `SELECT k.key_id, coalesce(sum(CASE WHEN h.status = 'open' THEN h.amount_cents ELSE h.charged_cents - h.refunded_cents END), 0) AS s
         FROM unnest($2::text[], $3::timestamptz[]) AS k (key_id, since)
         LEFT JOIN holds h ON h.key_id = k.key_id AND h.org_id = $1 AND h.placed AND h.created_at >= k.since
        GROUP BY k.key_id`,
      [orgId, windows.map((w) => w.keyId), windows.map((w) => w.start.toISOString())],
    );
    return windows.map((w) => ({
      keyId: w.keyId,
      spentCents: num(sums.find((x) => x.key_id === w.keyId)?.s),
      windowStart: w.start.toISOString(),
      resetsAt: w.resetsAt?.toISOString() ?? null,
    }));
  }
}
