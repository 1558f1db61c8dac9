import type { DataSource, EntityManager } from 'typeorm';
import { BalanceView, DomainError, ErrorCode, type KeyLimitReset, keyLimitRefusalMessage, keyLimitWindow, owedRefusalMessage } from '@pipevideo/contracts';
import { type Db, inTransaction, num, one, rows } from '@pipevideo/platform';
import { balanceView, emptyBalance, OrgAccounts, PLATFORM_ACCOUNTS, TopupSource } from './accounts';
import { Coalescer } from './coalescer';
import { Move, moves } from './moves';
import { CreditPlan, DebitPlan, planCredit, planDebit, planSettlement, SettlementPlan } from './settlement-policy';

type TxKind = 'topup' | 'hold' | 'capture' | 'release' | 'token_charge' | 'refund' | 'correction';

interface Posting {
  key: string;
  kind: TxKind;
  orgId: string | null;
  generationId?: string | null;
  holdId?: string | null;
  amountCents: number;
  metadata?: Record<string, unknown>;
  entries: Array<{ accountId: string; amountCents: number }>;
}

interface HoldRow {
  hold_id: string;
  org_id: string;
  generation_id: string | null;
  amount_cents: string;
  status: 'open' | 'captured' | 'released';
  placed: boolean;
  charged_cents: string;
  released_cents: string;
  written_off_cents: string;
}

export interface TopupInput {
  orgId: string;
  amountCents: number;
  source: TopupSource;
  /** Full ledger idempotency key (callers prefix it: `topup:<org>:<key>`, `stripe:session:<id>`). */
  key: string;
  note?: string;
  metadata?: Record<string, unknown>;
}
export interface TopupResult {
  transactionId: string;
  duplicate: boolean;
  /** Part of the top-up that settled what the org owed (the rest became available). */
  repaidCents: number;
  balance: BalanceView;
  moves: Move[];
}

export interface TopupReversalResult {
  transactionId: string | null;
  duplicate: boolean;
  /** Taken from the available balance (a reversal), or given back (a reinstatement). */
  takenCents: number;
  /** What the org could not give back (spent, or held by running jobs) and now owes. */
  owedCents: number;
  balance: BalanceView;
  moves: Move[];
}

export interface PlaceHoldInput {
  orgId: string;
  holdId: string;
  amountCents: number;
  generationId: string;
  /** The API key the hold counts against; with `keyLimit`, the hold is refused beyond that key's limit. */
  keyId?: string;
  keyLimit?: { limitCents: number; reset: KeyLimitReset };
}
export type HoldFailureReason = 'insufficient_balance' | 'key_limit' | 'conflict' | 'already_settled';
export type PlaceHoldResult =
  | { ok: true; duplicate: boolean; holdId: string; amountCents: number; balance: BalanceView; moves: Move[] }
  | { ok: false; reason: HoldFailureReason; message: string; balance?: BalanceView; keyLimit?: { limitCents: number; spentCents: number; resetsAt: string | null } };

export interface SettleResult {
  holdId: string;
  orgId: string;
  generationId: string | null;
  /** 'settled' when this call moved money, 'duplicate' when the hold was already settled this way. */
  outcome: 'settled' | 'duplicate' | 'already_captured';
  chargedCents: number;
  releasedCents: number;
  /** Part of the charge the org could not cover and now owes (0 when not settled by this call). */
  owedCents: number;
  /** Only for holds settled before orgs could owe (their shortfall was written off). */
  writtenOffCents: number;
  balance: BalanceView;
  moves: Move[];
}

export interface ReleaseResult {
  holdId: string;
  outcome: 'released' | 'not_open' | 'tombstone' | 'unknown';
  releasedCents: number;
  moves: Move[];
}

export interface TokenChargeInput {
  orgId: string;
  responseId: string;
  holdId?: string;
  amountCents: number;
  inputTokens: number;
  outputTokens: number;
  generationId?: string;
}
export interface TokenChargeResult {
  responseId: string;
  holdId: string | null;
  generationId: string;
  duplicate: boolean;
  chargedCents: number;
  releasedCents: number;
  /** Part of the charge the org could not cover and now owes. */
  owedCents: number;
  /** Only for charges made before orgs could owe (their shortfall was written off); else 0. */
  writtenOffCents: number;
  balance: BalanceView;
  moves: Move[];
}

export interface RefundResult {
  generationId: string;
  refundedCents: number;
  duplicate: boolean;
  moves: Move[];
}

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

const conflict = (m: string) => new DomainError(ErrorCode.CONFLICT, m);

export interface LedgerOptions {
  /** Most holds sent to PostgreSQL in one call/commit (1 turns batching off). Default 64. */
  holdBatchSize?: number;
  /** Hold batches running at once; further holds queue and form the next batch. Default 2. */
  holdBatchesInFlight?: number;
}

interface HoldRowOut {
  r_idx: number;
  r_outcome: 'placed' | 'existing' | 'insufficient' | 'tombstone' | 'key_limit';
  r_org: string;
  r_amount: string;
  r_available: string;
  r_held: string;
  r_owed: string;
  r_key_spent: string | null;
}

/**
 * The double-entry ledger and every operation that moves money. Framework-free: give it the
 * service's DataSource. Each operation runs in its own DB transaction, or in the caller's when passed
 * a transaction's EntityManager (event consumers commit their inbox row with it). Every operation
 * that touches an org locks that org's balance row first (a single lock order: no deadlocks), then
 * checks its idempotency key, then posts one balanced transaction and updates the cached balance.
 */
export class Ledger {
  private platform?: Promise<Record<string, string>>;
  private readonly holdBatcher: Coalescer<PlaceHoldInput, HoldRowOut>;

  /** Hold batches sent to PostgreSQL and holds in them (for the benchmark and metrics). */
  get holdBatchStats(): { batches: number; items: number } {
    return { ...this.holdBatcher.stats };
  }

  constructor(
    private readonly ds: DataSource,
    opts: LedgerOptions = {},
  ) {
    this.holdBatcher = new Coalescer((items) => this.placeHoldsNow(this.ds, items), opts.holdBatchSize ?? 64, opts.holdBatchesInFlight ?? 2);
  }

  // ---- reads ------------------------------------------------------------------------------

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
   * limit): open holds at their amount, captured ones at what they charged, as `place_holds` counts.
   */
  async keySpend(orgId: string, keys: Array<{ keyId: string; reset: KeyLimitReset }>, db: Db = this.ds): Promise<Array<{ keyId: string; spentCents: number; windowStart: string; resetsAt: string | null }>> {
    if (!keys.length) return [];
    const windows = keys.map((k) => ({ ...k, ...keyLimitWindow(k.reset) }));
    const sums = await rows<{ key_id: string; s: string }>(
      db,
      `SELECT k.key_id, coalesce(sum(CASE h.status WHEN 'open' THEN h.amount_cents WHEN 'captured' THEN h.charged_cents ELSE 0 END), 0) AS s
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

  // ---- top-up -----------------------------------------------------------------------------

  /**
   * Credits the org from a top-up source, once per key. Whatever the source, the top-up pays what the
   * org owes first; only the rest becomes available.
   */
  async topup(i: TopupInput, db: Db = this.ds): Promise<TopupResult> {
    assertPositiveCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const org = await this.lockOrg(m, i.orgId);
      const existing = await this.findTransaction(m, i.key);
      if (existing) {
        if (existing.org_id !== i.orgId || num(existing.amount_cents) !== i.amountCents) {
          throw conflict(`idempotency key already used for a different top-up (${num(existing.amount_cents)} cents)`);
        }
        return { transactionId: String(existing.id), duplicate: true, repaidCents: 0, balance: balanceView(org), moves: [] };
      }
      const platform = await this.platformAccounts(m);
      const credit = planCredit({ amountCents: i.amountCents, owedCents: org.owedCents });
      const id = await this.post(m, org, {
        key: i.key,
        kind: 'topup',
        orgId: i.orgId,
        amountCents: i.amountCents,
        metadata: { source: i.source, ...(i.note ? { note: i.note } : {}), ...(credit.repaidCents ? { repaidCents: credit.repaidCents } : {}), ...(i.metadata ?? {}) },
        entries: [
          { accountId: platform[PLATFORM_ACCOUNTS.source(i.source)], amountCents: -i.amountCents },
          ...creditEntries(org, credit),
        ],
      });
      return {
        transactionId: id,
        duplicate: false,
        repaidCents: credit.repaidCents,
        balance: balanceView(org),
        moves: moves({ operation: 'topup', cents: i.amountCents }, { operation: 'owed_settled', cents: credit.repaidCents }),
      };
    });
  }

  /**
   * Money a top-up source took back (a Stripe refund or dispute): `amountCents` leaves the org's
   * available credits as far as they go; what the org has already spent (or holds for running jobs)
   * becomes owed. Idempotent by key. `reinstates` gives back exactly what an earlier reversal took
   * (a dispute won): it settles what the org owes first, the rest becomes available.
   */
  async reverseTopup(
    i: {
      orgId: string;
      amountCents: number;
      source: TopupSource;
      key: string;
      metadata?: Record<string, unknown>;
      reinstates?: string;
      /** amountCents is the running total refunded on this Stripe charge: take only what earlier refunds of it did not. */
      refundOfCharge?: string;
    },
    db: Db = this.ds,
  ): Promise<TopupReversalResult> {
    assertPositiveCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const org = await this.lockOrg(m, i.orgId);
      const existing = await this.findTransaction(m, i.key);
      const nothing = { transactionId: null, duplicate: false, takenCents: 0, owedCents: 0, balance: balanceView(org), moves: [] };
      if (existing) return { ...nothing, transactionId: String(existing.id), duplicate: true };
      // Under the org's lock, so two refund events of one charge cannot both count the same cents.
      const amount = i.refundOfCharge ? i.amountCents - (await this.refundedForCharge(i.refundOfCharge, m)) : i.amountCents;
      if (amount <= 0) return nothing;
      const platform = await this.platformAccounts(m);
      const source = platform[PLATFORM_ACCOUNTS.source(i.source)];
      const meta = { source: i.source, ...(i.reinstates ? { reinstates: i.reinstates } : {}), ...(i.metadata ?? {}) };
      if (i.reinstates) {
        const undone = await this.findTransaction(m, i.reinstates);
        if (!undone || num(undone.amount_cents) !== amount) return nothing;
        // A reversal posted before orgs could owe wrote its uncovered part off: that part goes back
        // to the write-off account, the rest to the org.
        const writtenOff = num((undone.metadata as { writtenOffCents?: number } | null)?.writtenOffCents);
        const credit = planCredit({ amountCents: amount - writtenOff, owedCents: org.owedCents });
        const id = await this.post(m, org, {
          key: i.key,
          kind: 'correction',
          orgId: i.orgId,
          amountCents: amount,
          metadata: { ...meta, givenBackCents: amount - writtenOff, repaidCents: credit.repaidCents, ...(writtenOff ? { writtenOffCents: writtenOff } : {}) },
          entries: [
            { accountId: source, amountCents: -amount },
            { accountId: platform[PLATFORM_ACCOUNTS.writeoff], amountCents: writtenOff },
            ...creditEntries(org, credit),
          ],
        });
        return {
          transactionId: id,
          duplicate: false,
          takenCents: amount - writtenOff,
          owedCents: 0,
          balance: balanceView(org),
          moves: moves({ operation: 'topup', cents: amount - writtenOff }, { operation: 'owed_settled', cents: credit.repaidCents }),
        };
      }
      const debit = planDebit({ amountCents: amount, availableCents: org.availableCents });
      const id = await this.post(m, org, {
        key: i.key,
        kind: 'correction',
        orgId: i.orgId,
        amountCents: amount,
        metadata: { ...meta, takenCents: debit.fromAvailableCents, owedCents: debit.owedCents },
        entries: [{ accountId: source, amountCents: amount }, ...debitEntries(org, debit)],
      });
      return {
        transactionId: id,
        duplicate: false,
        takenCents: debit.fromAvailableCents,
        owedCents: debit.owedCents,
        balance: balanceView(org),
        moves: moves({ operation: 'topup_reversal', cents: debit.fromAvailableCents }, { operation: 'owed', cents: debit.owedCents }),
      };
    });
  }

  /** Cents already taken back by the refunds of one Stripe charge (indexed: runs under the org's lock). */
  async refundedForCharge(chargeId: string, db: Db = this.ds): Promise<number> {
    const r = await one<{ s: string | null }>(
      db,
      `SELECT sum(amount_cents) AS s FROM ledger_transactions WHERE kind = 'correction' AND metadata->>'stripeRefundCharge' = $1`,
      [chargeId],
    );
    return num(r?.s);
  }

  /** The org and amount of the top-up a Stripe payment intent paid for (indexed). */
  async topupByPaymentIntent(paymentIntent: string, db: Db = this.ds): Promise<{ orgId: string; amountCents: number } | null> {
    const r = await one<{ org_id: string; amount_cents: string }>(
      db,
      `SELECT org_id, amount_cents FROM ledger_transactions WHERE kind = 'topup' AND metadata->>'paymentIntent' = $1 ORDER BY id LIMIT 1`,
      [paymentIntent],
    );
    return r ? { orgId: r.org_id, amountCents: num(r.amount_cents) } : null;
  }

  // ---- holds ------------------------------------------------------------------------------

  /**
   * Reserves amountCents of the org's available balance; idempotent on holdId. The hot path:
   * concurrent placements are coalesced into one call of the `place_holds` SQL function (one round
   * trip, one commit for the batch); each hold is a conditional UPDATE of its org's row, so holds
   * queue on that row and the available balance can never go below zero. An org that owes gets no
   * hold at all (not even a zero one) until a top-up settles what it owes.
   */
  async placeHold(i: PlaceHoldInput, db: Db = this.ds): Promise<PlaceHoldResult> {
    if (!Number.isSafeInteger(i.amountCents) || i.amountCents < 0) throw new DomainError(ErrorCode.BAD_REQUEST, 'amountCents must be a non-negative integer');
    if (i.keyLimit && !i.keyId) throw new DomainError(ErrorCode.BAD_REQUEST, 'keyLimit needs keyId');
    // Inside a caller's transaction the hold must commit with it: no batching there.
    const r = db === this.ds ? await this.holdBatcher.submit(i) : (await this.placeHoldsNow(db, [i]))[0];
    const balance = balanceView({ availableCents: num(r.r_available), heldCents: num(r.r_held), owedCents: num(r.r_owed) });
    const amount = num(r.r_amount);
    switch (r.r_outcome) {
      case 'placed':
        return { ok: true, duplicate: false, holdId: i.holdId, amountCents: amount, balance, moves: moves({ operation: 'hold', cents: amount }) };
      case 'existing':
        if (r.r_org !== i.orgId || amount !== i.amountCents) {
          return { ok: false, reason: 'conflict', message: `hold ${i.holdId} already exists with a different organization or amount` };
        }
        return { ok: true, duplicate: true, holdId: i.holdId, amountCents: amount, balance, moves: [] };
      case 'tombstone':
        return { ok: false, reason: 'already_settled', message: `hold ${i.holdId} was released or captured before it was placed; use a new holdId` };
      case 'key_limit': {
        const { limitCents, reset } = i.keyLimit!;
        const spentCents = num(r.r_key_spent);
        const { resetsAt } = keyLimitWindow(reset);
        return {
          ok: false,
          reason: 'key_limit',
          message: keyLimitRefusalMessage({ keyId: i.keyId!, limitCents, reset, spentCents, neededCents: i.amountCents, resetsAt }),
          balance,
          keyLimit: { limitCents, spentCents, resetsAt: resetsAt?.toISOString() ?? null },
        };
      }
      case 'insufficient':
        return {
          ok: false,
          reason: 'insufficient_balance',
          message:
            balance.owed_cents > 0
              ? owedRefusalMessage(balance.owed_cents)
              : `Insufficient balance: ${balance.available_cents} cents available, ${i.amountCents} cents needed`,
          balance,
        };
    }
  }

  /** One `place_holds` call for a batch, items sorted by org (the lock order), results in input order. */
  private async placeHoldsNow(db: Db, items: PlaceHoldInput[]): Promise<HoldRowOut[]> {
    const order = items.map((_, k) => k).sort((a, b) => cmp(items[a].orgId, items[b].orgId) || cmp(items[a].holdId, items[b].holdId));
    const sorted = order.map((k) => items[k]);
    const out = await rows<HoldRowOut>(db, `SELECT * FROM place_holds($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::timestamptz[])`, [
      sorted.map((x) => x.orgId),
      sorted.map((x) => x.holdId),
      sorted.map((x) => x.generationId),
      sorted.map((x) => x.amountCents),
      sorted.map((x) => x.keyId ?? null),
      sorted.map((x) => x.keyLimit?.limitCents ?? null),
      // The window as of this batch (billing's clock): spend since its start counts.
      sorted.map((x) => (x.keyLimit ? keyLimitWindow(x.keyLimit.reset).start.toISOString() : null)),
    ]);
    if (out.length !== items.length) throw new Error(`place_holds answered ${out.length} rows for ${items.length} holds`);
    const result: HoldRowOut[] = new Array(items.length);
    for (const r of out) result[order[r.r_idx - 1]] = r;
    return result;
  }

  /**
   * Captures a hold at the actual cost (see settlement-policy.ts for actual > held). Idempotent per
   * hold: a hold settles once; capturing it again (by event redelivery or after a token charge)
   * changes nothing. A hold already released, or never placed, is charged from the available
   * balance (the job did succeed), with the same shortfall policy (what is not covered is owed).
   */
  async capture(i: { holdId: string; amountCents: number; orgId?: string; generationId?: string | null }, db: Db = this.ds): Promise<SettleResult> {
    assertCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const orgId = await this.orgOfHold(m, i.holdId, i.orgId);
      const org = await this.lockOrg(m, orgId);
      const h = await this.lockHold(m, i.holdId);
      const key = `capture:${i.holdId}`;
      const previous = await this.findTransaction(m, key);
      if (previous || alreadyCharged(h)) {
        return {
          ...settledFigures(h),
          owedCents: 0,
          holdId: i.holdId,
          orgId,
          generationId: h?.generation_id ?? null,
          outcome: previous ? 'duplicate' : 'already_captured',
          balance: balanceView(org),
          moves: [],
        } as SettleResult;
      }
      const generationId = h?.generation_id ?? i.generationId ?? null;
      const plan = await this.settle(m, org, h, { key, kind: 'capture', holdId: i.holdId, actualCents: i.amountCents, generationId });
      await this.markCaptured(m, org.orgId, i.holdId, h, plan, 'capture', generationId);
      return {
        holdId: i.holdId,
        orgId,
        generationId,
        outcome: 'settled',
        chargedCents: plan.chargedCents,
        releasedCents: plan.releasedCents,
        owedCents: plan.owedCents,
        writtenOffCents: 0,
        balance: balanceView(org),
        moves: settlementMoves('capture', plan),
      };
    });
  }

  /**
   * Releases an open hold back to the org: what it owes first (credits Stripe took back while the job
   * ran), the rest to the available balance. Anything but an open hold is a no-op (idempotent).
   */
  async release(i: { holdId: string; orgId?: string; reason?: string }, db: Db = this.ds): Promise<ReleaseResult> {
    return inTransaction(db, async (m) => {
      const peek = await one<{ org_id: string }>(m, `SELECT org_id FROM holds WHERE hold_id = $1`, [i.holdId]);
      const orgId = peek?.org_id ?? i.orgId;
      if (!orgId) return { holdId: i.holdId, outcome: 'unknown', releasedCents: 0, moves: [] };
      const org = await this.lockOrg(m, orgId);
      const h = await this.lockHold(m, i.holdId);
      if (!h) {
        // Released before it was placed (a hold RPC that timed out but may still commit): leave a
        // tombstone so the late placement is refused instead of reserving money forever.
        await rows(
          m,
          `INSERT INTO holds (hold_id, org_id, amount_cents, status, placed, settled_by, settled_at)
           VALUES ($1, $2, 0, 'released', false, 'release', now()) ON CONFLICT (hold_id) DO NOTHING`,
          [i.holdId, orgId],
        );
        return { holdId: i.holdId, outcome: 'tombstone', releasedCents: 0, moves: [] };
      }
      if (h.status !== 'open') return { holdId: i.holdId, outcome: 'not_open', releasedCents: 0, moves: [] };
      const amount = num(h.amount_cents);
      const credit = planCredit({ amountCents: amount, owedCents: org.owedCents });
      await this.post(m, org, {
        key: `release:${i.holdId}`,
        kind: 'release',
        orgId: org.orgId,
        generationId: h.generation_id,
        holdId: i.holdId,
        amountCents: amount,
        metadata: i.reason || credit.repaidCents ? { ...(i.reason ? { reason: i.reason } : {}), ...(credit.repaidCents ? { repaidCents: credit.repaidCents } : {}) } : undefined,
        entries: [{ accountId: org.heldAccountId, amountCents: -amount }, ...creditEntries(org, credit)],
      });
      await rows(
        m,
        `UPDATE holds SET status = 'released', released_cents = $2, settled_by = 'release', settled_at = now() WHERE hold_id = $1`,
        [i.holdId, amount],
      );
      return {
        holdId: i.holdId,
        outcome: 'released',
        releasedCents: amount,
        moves: moves({ operation: 'release', cents: amount }, { operation: 'owed_settled', cents: credit.repaidCents }),
      };
    });
  }

  // ---- Responses API: token charge and refund -------------------------------------------------

  /**
   * Charges a Responses job's orchestration tokens, capturing its hold at amountCents (same policy
   * as capture when the cost exceeds the hold). Idempotent by responseId. A hold that is already
   * captured is not charged again; without a usable hold the charge comes from the available balance.
   */
  async chargeTokens(i: TokenChargeInput, db: Db = this.ds): Promise<TokenChargeResult> {
    assertCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const orgId = i.holdId ? await this.orgOfHold(m, i.holdId, i.orgId) : i.orgId;
      if (orgId !== i.orgId) throw conflict(`hold ${i.holdId} belongs to another organization`);
      const org = await this.lockOrg(m, orgId);
      const h = i.holdId ? await this.lockHold(m, i.holdId) : null;
      const generationId = i.generationId ?? h?.generation_id ?? i.responseId;
      const key = `token_charge:${i.responseId}`;
      const base = { responseId: i.responseId, holdId: i.holdId ?? null, generationId };
      const existing = await this.findTransaction(m, key);
      if (existing) {
        const plan = (existing.metadata?.plan ?? {}) as Partial<SettlementPlan>;
        return {
          ...base,
          generationId: existing.generation_id ?? generationId,
          duplicate: true,
          chargedCents: num(plan.chargedCents),
          releasedCents: num(plan.releasedCents),
          owedCents: num(plan.owedCents),
          // Charges made before orgs could owe recorded their written-off shortfall in the plan.
          writtenOffCents: num((plan as { writtenOffCents?: number }).writtenOffCents),
          balance: balanceView(org),
          moves: [],
        };
      }
      if (alreadyCharged(h)) {
        // The hold was settled already (e.g. generation.finished got there first): never charge twice.
        return { ...base, ...settledFigures(h), owedCents: 0, duplicate: true, balance: balanceView(org), moves: [] };
      }
      if (await this.findTransaction(m, `refund:${generationId}`)) {
        // The generation failed and was refunded before this (late) charge arrived: it costs nothing.
        return { ...base, duplicate: true, chargedCents: 0, releasedCents: 0, owedCents: 0, writtenOffCents: 0, balance: balanceView(org), moves: [] };
      }
      const plan = await this.settle(m, org, h, {
        key,
        kind: 'token_charge',
        holdId: i.holdId ?? null,
        actualCents: i.amountCents,
        generationId,
        metadata: { responseId: i.responseId, inputTokens: i.inputTokens, outputTokens: i.outputTokens },
      });
      if (i.holdId) await this.markCaptured(m, org.orgId, i.holdId, h, plan, 'token_charge', generationId);
      return {
        ...base,
        duplicate: false,
        chargedCents: plan.chargedCents,
        releasedCents: plan.releasedCents,
        owedCents: plan.owedCents,
        writtenOffCents: 0,
        balance: balanceView(org),
        moves: settlementMoves('token_charge', plan),
      };
    });
  }

  /**
   * Gives back everything a generation was charged (captures and token charges, net of earlier
   * refunds): the revenue is reversed (and a write-off booked before orgs could owe), and the charge
   * goes back to the org whatever paid for it — hold, available or owed — settling what the org owes
   * first, the rest to the available balance. Idempotent by generation id; for a generation that was
   * never charged only the refund is recorded (no money moves), so a token charge arriving later is
   * refused.
   */
  async refundGeneration(i: { generationId: string; reason?: string }, db: Db = this.ds): Promise<RefundResult> {
    return inTransaction(db, async (m) => {
      const t = await one<{ org_id: string }>(
        m,
        `SELECT org_id FROM ledger_transactions WHERE generation_id = $1 AND org_id IS NOT NULL ORDER BY id LIMIT 1`,
        [i.generationId],
      );
      const none = { generationId: i.generationId, refundedCents: 0, moves: [] as Move[] };
      if (!t) return { ...none, duplicate: false };
      const org = await this.lockOrg(m, t.org_id);
      const key = `refund:${i.generationId}`;
      if (await this.findTransaction(m, key)) return { ...none, duplicate: true };
      const c = await this.generationCharges(i.generationId, m);
      if (c.revenueCents === 0 && c.writeoffCents === 0) {
        // Nothing to give back, but the refund is recorded (no entries): a token charge whose call timed
        // out at the router and reaches us only now must not stick to a generation that failed.
        await this.post(m, org, { key, kind: 'refund', orgId: org.orgId, generationId: i.generationId, amountCents: 0, metadata: { reason: i.reason ?? 'generation failed', nothingCharged: true }, entries: [] });
        return { ...none, duplicate: false };
      }
      const platform = await this.platformAccounts(m);
      const credit = planCredit({ amountCents: c.chargedCents, owedCents: org.owedCents });
      await this.post(m, org, {
        key,
        kind: 'refund',
        orgId: org.orgId,
        generationId: i.generationId,
        amountCents: c.chargedCents,
        metadata: { reason: i.reason ?? 'generation failed', revenueCents: c.revenueCents, writeoffCents: c.writeoffCents, repaidCents: credit.repaidCents },
        entries: [
          { accountId: platform[PLATFORM_ACCOUNTS.revenue], amountCents: -c.revenueCents },
          { accountId: platform[PLATFORM_ACCOUNTS.writeoff], amountCents: -c.writeoffCents },
          ...creditEntries(org, credit),
        ],
      });
      return {
        generationId: i.generationId,
        refundedCents: c.chargedCents,
        duplicate: false,
        moves: moves({ operation: 'refund', cents: c.chargedCents }, { operation: 'owed_settled', cents: credit.repaidCents }),
      };
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Posts the settlement of `actualCents` against hold h (or none): one balanced transaction. */
  private async settle(
    m: EntityManager,
    org: OrgAccounts,
    h: HoldRow | null,
    s: { key: string; kind: TxKind; holdId: string | null; actualCents: number; generationId: string | null; metadata?: Record<string, unknown> },
  ): Promise<SettlementPlan> {
    const heldCents = h?.status === 'open' ? num(h.amount_cents) : 0;
    const plan = planSettlement({ heldCents, actualCents: s.actualCents, availableCents: org.availableCents, owedCents: org.owedCents });
    const platform = await this.platformAccounts(m);
    await this.post(m, org, {
      key: s.key,
      kind: s.kind,
      orgId: org.orgId,
      generationId: s.generationId,
      holdId: s.holdId,
      amountCents: s.actualCents,
      metadata: { ...(s.metadata ?? {}), plan },
      // The receivable account goes down by what becomes owed and up by what the released part repays.
      entries: [
        { accountId: org.heldAccountId, amountCents: -plan.heldCents },
        { accountId: org.availableAccountId, amountCents: plan.releasedCents - plan.repaidCents - plan.fromAvailableCents },
        { accountId: org.owedAccountId, amountCents: plan.repaidCents - plan.owedCents },
        { accountId: platform[PLATFORM_ACCOUNTS.revenue], amountCents: plan.actualCents },
      ],
    });
    return plan;
  }

  private async markCaptured(
    m: EntityManager,
    orgId: string,
    holdId: string,
    h: HoldRow | null,
    plan: SettlementPlan,
    by: 'capture' | 'token_charge',
    generationId: string | null,
  ): Promise<void> {
    if (h) {
      // A released hold keeps its status (one-way) but records what was charged after all.
      await rows(
        m,
        `UPDATE holds SET status = CASE WHEN status = 'open' THEN 'captured' ELSE status END,
           charged_cents = charged_cents + $2, released_cents = released_cents + $3,
           settled_by = coalesce(CASE WHEN status = 'open' THEN $4 END, settled_by), settled_at = coalesce(settled_at, now())
         WHERE hold_id = $1`,
        [holdId, plan.chargedCents, plan.releasedCents, by],
      );
    } else {
      await rows(
        m,
        `INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status, placed, charged_cents, settled_by, settled_at)
         VALUES ($1, $2, $3, 0, 'captured', false, $4, $5, now())`,
        [holdId, orgId, generationId, plan.chargedCents, by],
      );
    }
  }

  /** Inserts one ledger transaction and its entries, and moves the org's cached balances with it. */
  private async post(m: EntityManager, org: OrgAccounts | null, p: Posting): Promise<string> {
    const entries = p.entries.filter((e) => e.amountCents !== 0);
    const sum = entries.reduce((s, e) => s + e.amountCents, 0);
    if (sum !== 0) throw new Error(`refusing to post unbalanced ledger transaction ${p.key} (sum ${sum})`);
    const tx = await one<{ id: string }>(
      m,
      `INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [p.key, p.kind, p.orgId, p.generationId ?? null, p.holdId ?? null, p.amountCents, p.metadata ? JSON.stringify(p.metadata) : null],
    );
    const id = String(tx!.id);
    if (entries.length) {
      await rows(
        m,
        `INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT $1, unnest($2::bigint[]), unnest($3::bigint[])`,
        [id, entries.map((e) => e.accountId), entries.map((e) => e.amountCents)],
      );
    }
    if (org) {
      const delta = (accountId: string) => entries.filter((e) => e.accountId === accountId).reduce((s, e) => s + e.amountCents, 0);
      const dAvail = delta(org.availableAccountId);
      const dHeld = delta(org.heldAccountId);
      // The receivable account's balance is minus what the org owes.
      const dOwed = -delta(org.owedAccountId);
      if (dAvail !== 0 || dHeld !== 0 || dOwed !== 0) {
        const r = await one(
          m,
          `UPDATE org_balances SET available_cents = available_cents + $2, held_cents = held_cents + $3, owed_cents = owed_cents + $4, updated_at = now()
           WHERE org_id = $1 RETURNING available_cents, held_cents, owed_cents`,
          [org.orgId, dAvail, dHeld, dOwed],
        );
        org.availableCents = num(r!.available_cents);
        org.heldCents = num(r!.held_cents);
        org.owedCents = num(r!.owed_cents);
      }
    }
    return id;
  }

  private async lockOrg(m: EntityManager, orgId: string): Promise<OrgAccounts> {
    const select = `SELECT org_id, available_account_id, held_account_id, owed_account_id, available_cents, held_cents, owed_cents
                      FROM org_balances WHERE org_id = $1 FOR UPDATE`;
    let r = await one(m, select, [orgId]);
    if (!r) {
      await rows(m, `SELECT ensure_org($1)`, [orgId]);
      r = await one(m, select, [orgId]);
    }
    if (!r) throw new Error(`could not create balance row for org ${orgId}`);
    return {
      orgId,
      availableAccountId: String(r.available_account_id),
      heldAccountId: String(r.held_account_id),
      owedAccountId: String(r.owed_account_id),
      availableCents: num(r.available_cents),
      heldCents: num(r.held_cents),
      owedCents: num(r.owed_cents),
    };
  }

  private async lockHold(m: EntityManager, holdId: string): Promise<(HoldRow & { settled_by: string | null }) | null> {
    return (await one(m, `SELECT * FROM holds WHERE hold_id = $1 FOR UPDATE`, [holdId])) ?? null;
  }

  /** The org a hold belongs to (read before taking the org lock, to keep the lock order). */
  private async orgOfHold(m: EntityManager, holdId: string, fallbackOrgId?: string): Promise<string> {
    const peek = await one<{ org_id: string }>(m, `SELECT org_id FROM holds WHERE hold_id = $1`, [holdId]);
    const orgId = peek?.org_id ?? fallbackOrgId;
    if (!orgId) throw new DomainError(ErrorCode.NOT_FOUND, `hold ${holdId} not found`);
    return orgId;
  }

  private async findTransaction(m: EntityManager, key: string) {
    return one<{ id: string; org_id: string | null; amount_cents: string; generation_id: string | null; metadata: any }>(
      m,
      `SELECT id, org_id, amount_cents, generation_id, metadata FROM ledger_transactions WHERE idempotency_key = $1`,
      [key],
    );
  }

  private platformAccounts(db: Db): Promise<Record<string, string>> {
    // Seeded by the migration and never changed, so loading them once is safe.
    this.platform ??= rows<{ id: string; code: string }>(db, `SELECT id, code FROM accounts WHERE org_id IS NULL`).then((rs) =>
      Object.fromEntries(rs.map((r) => [r.code, String(r.id)])),
    );
    this.platform.catch(() => (this.platform = undefined));
    return this.platform;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function settledFigures(h: (HoldRow & { settled_by?: string | null }) | null) {
  return {
    chargedCents: num(h?.charged_cents),
    releasedCents: num(h?.released_cents),
    writtenOffCents: num(h?.written_off_cents),
  };
}

function settlementMoves(op: 'capture' | 'token_charge', plan: SettlementPlan): Move[] {
  return moves(
    { operation: op, cents: plan.chargedCents },
    { operation: 'release', cents: plan.releasedCents },
    { operation: 'owed_settled', cents: plan.repaidCents },
    { operation: 'owed', cents: plan.owedCents },
  );
}

/** Entries of money given to the org: the receivable account up by what is repaid, available by the rest. */
function creditEntries(org: OrgAccounts, c: CreditPlan): Posting['entries'] {
  return [
    { accountId: org.owedAccountId, amountCents: c.repaidCents },
    { accountId: org.availableAccountId, amountCents: c.toAvailableCents },
  ];
}

/** Entries of money taken from the org: available down by what it covers, the receivable by the rest. */
function debitEntries(org: OrgAccounts, d: DebitPlan): Posting['entries'] {
  return [
    { accountId: org.availableAccountId, amountCents: -d.fromAvailableCents },
    { accountId: org.owedAccountId, amountCents: -d.owedCents },
  ];
}

function assertCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be a non-negative integer number of cents`);
}
function assertPositiveCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be a positive integer number of cents`);
}

/**
 * A hold something was charged against: captured, or released and charged after all (a capture or a
 * token charge that arrived after the release records its figures on the released row). Capture and
 * token charge each check it, so whichever comes second charges nothing.
 */
function alreadyCharged(h: HoldRow | null): boolean {
  return !!h && (h.status === 'captured' || Number(h.charged_cents) + Number(h.written_off_cents) > 0);
}
