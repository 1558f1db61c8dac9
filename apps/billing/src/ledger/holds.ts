import type { DataSource, EntityManager } from 'typeorm';
import { BalanceView, DomainError, ErrorCode, type KeyLimitReset, keyLimitRefusalMessage, keyLimitWindow, owedRefusalMessage } from '@pipevideo/contracts';
import { type Db, inTransaction, MicroBatcher, num, one, rows } from '@pipevideo/platform';
import { balanceView, OrgAccounts, PLATFORM_ACCOUNTS } from './accounts';
import { Move, moves } from './moves';
import { assertCents, conflict, creditEntries, HoldRow, PostingBook, TxKind } from './posting';
import { planCredit, planSettlement, SettlementPlan } from './settlement-policy';

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

export interface HoldBookOptions {
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
 * Holds and their settlement: place (coalesced into `place_holds` calls), capture, release, and the
 * Responses API's token charge, which captures a hold at the cost of the reported tokens.
 */
export class HoldBook {
  private readonly holdBatcher: MicroBatcher<PlaceHoldInput, HoldRowOut>;

  /** Hold batches sent to PostgreSQL and holds in them (for the benchmark and metrics). */
  get holdBatchStats(): { batches: number; items: number } {
    return { ...this.holdBatcher.sent };
  }

  constructor(
    private readonly ds: DataSource,
    private readonly book: PostingBook,
    opts: HoldBookOptions = {},
  ) {
    this.holdBatcher = new MicroBatcher((items) => this.placeHoldsNow(this.ds, items), {
      maxBatch: opts.holdBatchSize ?? 64,
      maxInFlight: opts.holdBatchesInFlight ?? 2,
      // A failed place_holds call committed nothing (one statement), so its holds can be placed again
      // one by one: one bad hold does not fail the others.
      whenBatchFails: 'retryEachAlone',
    });
  }

  /**
   * Reserves amountCents of the org's available balance; idempotent on holdId. The hot path:
   * concurrent placements are coalesced into one call of the `place_holds` SQL function (one round
   * trip, one commit for the batch); each hold is a conditional UPDATE of its org's row, so holds
   * queue on that row and the available balance can never go below zero. An org that owes gets no
   * hold at all (not even a zero one) until a top-up settles what it owes.
   */
  async placeHold(i: PlaceHoldInput, db: Db = this.ds): Promise<PlaceHoldResult> {
    checkHold(i);
    // Inside a caller's transaction the hold must commit with it: no batching there.
    const r = db === this.ds ? await this.holdBatcher.submit(i) : (await this.placeHoldsNow(db, [i]))[0];
    return holdResult(i, r);
  }

  /**
   * Several holds at once (`billing.hold.placeMany`): queued together, so they share `place_holds`
   * calls (up to the batch size each) with each other and with concurrent placements. Each answer is
   * its own promise, exactly what `placeHold` would answer for that hold: one invalid or refused hold
   * never fails the others.
   */
  placeHolds(items: PlaceHoldInput[]): Array<Promise<PlaceHoldResult>> {
    const answers: Array<Promise<PlaceHoldResult>> = new Array(items.length);
    const valid: number[] = [];
    items.forEach((i, k) => {
      try {
        checkHold(i);
        valid.push(k);
      } catch (err) {
        answers[k] = Promise.reject(err);
      }
    });
    const placed = this.holdBatcher.submitAll(valid.map((k) => items[k]));
    valid.forEach((k, j) => (answers[k] = placed[j].then((r) => holdResult(items[k], r))));
    return answers;
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
    ], 'billing.place_holds');
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
  async capture(
    i: {
      holdId: string;
      amountCents: number;
      orgId?: string;
      generationId?: string | null;
      /** `byok_fee`: the generation ran on the org's own provider key and amountCents is the platform fee (its own ledger kind). */
      kind?: 'capture' | 'byok_fee';
    },
    db: Db = this.ds,
  ): Promise<SettleResult> {
    assertCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const orgId = await this.book.orgOfHold(m, i.holdId, i.orgId);
      const org = await this.book.lockOrg(m, orgId);
      const h = await this.book.lockHold(m, i.holdId);
      const key = `capture:${i.holdId}`;
      const previous = await this.book.findTransaction(m, key);
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
      const plan = await this.settle(m, org, h, { key, kind: i.kind ?? 'capture', holdId: i.holdId, actualCents: i.amountCents, generationId });
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
      const org = await this.book.lockOrg(m, orgId);
      const h = await this.book.lockHold(m, i.holdId);
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
      await this.book.post(m, org, {
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

  /**
   * Charges a Responses job's orchestration tokens, capturing its hold at amountCents (same policy
   * as capture when the cost exceeds the hold). Idempotent by responseId. A hold that is already
   * captured is not charged again; without a usable hold the charge comes from the available balance.
   */
  async chargeTokens(i: TokenChargeInput, db: Db = this.ds): Promise<TokenChargeResult> {
    assertCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const orgId = i.holdId ? await this.book.orgOfHold(m, i.holdId, i.orgId) : i.orgId;
      if (orgId !== i.orgId) throw conflict(`hold ${i.holdId} belongs to another organization`);
      const org = await this.book.lockOrg(m, orgId);
      const h = i.holdId ? await this.book.lockHold(m, i.holdId) : null;
      const generationId = i.generationId ?? h?.generation_id ?? i.responseId;
      const key = `token_charge:${i.responseId}`;
      const base = { responseId: i.responseId, holdId: i.holdId ?? null, generationId };
      const existing = await this.book.findTransaction(m, key);
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
      if (await this.book.findTransaction(m, `refund:${generationId}`)) {
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

  /** Posts the settlement of `actualCents` against hold h (or none): one balanced transaction. */
  private async settle(
    m: EntityManager,
    org: OrgAccounts,
    h: HoldRow | null,
    s: { key: string; kind: TxKind; holdId: string | null; actualCents: number; generationId: string | null; metadata?: Record<string, unknown> },
  ): Promise<SettlementPlan> {
    const heldCents = h?.status === 'open' ? num(h.amount_cents) : 0;
    const plan = planSettlement({ heldCents, actualCents: s.actualCents, availableCents: org.availableCents, owedCents: org.owedCents });
    const platform = await this.book.platformAccounts(m);
    await this.book.post(m, org, {
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
}

/** Checks a hold's request before it is queued (the same refusals for `placeHold` and `placeHolds`). */
function checkHold(i: PlaceHoldInput): void {
  if (!Number.isSafeInteger(i.amountCents) || i.amountCents < 0) throw new DomainError(ErrorCode.BAD_REQUEST, 'amountCents must be a non-negative integer');
  if (i.keyLimit && !i.keyId) throw new DomainError(ErrorCode.BAD_REQUEST, 'keyLimit needs keyId');
}

/** What `place_holds` answered for hold i, as the caller's result. */
function holdResult(i: PlaceHoldInput, r: HoldRowOut): PlaceHoldResult {
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

/**
 * A hold something was charged against: captured, or released and charged after all (a capture or a
 * token charge that arrived after the release records its figures on the released row). Capture and
 * token charge each check it, so whichever comes second charges nothing.
 */
function alreadyCharged(h: HoldRow | null): boolean {
  return !!h && (h.status === 'captured' || Number(h.charged_cents) + Number(h.written_off_cents) > 0);
}
