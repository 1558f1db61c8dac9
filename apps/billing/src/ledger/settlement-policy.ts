/**
 * How money moves between an org's accounts, as plain arithmetic (no I/O) so every case is
 * unit-tested. Three rules, used by every ledger operation:
 *
 * - **Debit** (usage beyond the hold, credits Stripe takes back): taken from the available balance as
 *   far as it goes (never below zero); what is still missing becomes **owed** by the org (its
 *   receivable). The platform never absorbs a customer's usage.
 * - **Credit** (top-up, released hold, refund, dispute won): pays what the org owes first; only the
 *   rest becomes available. So an org never both owes and has credits to spend.
 * - **Settlement** of a charge against a hold: the hold covers what it can; the excess is a debit;
 *   an unused part of the hold is a credit.
 */

export interface DebitPlan {
  /** Part taken from the available balance. */
  fromAvailableCents: number;
  /** Part nobody covers: the org's receivable grows by it. */
  owedCents: number;
}

export interface CreditPlan {
  /** Part that settles what the org owed (the receivable shrinks by it). */
  repaidCents: number;
  /** Part that becomes available to spend. */
  toAvailableCents: number;
}

export interface SettlementInput {
  /** Cents still reserved by the hold (0 when the hold is unknown, already released, or settled). */
  heldCents: number;
  /** What the job actually cost. */
  actualCents: number;
  /** The org's available balance (posted minus held) at the moment of settling, under its lock. */
  availableCents: number;
  /** What the org owes at that moment (its receivable), under the same lock. */
  owedCents: number;
}

export interface SettlementPlan {
  heldCents: number;
  actualCents: number;
  /** Part of the cost covered by the hold. */
  fromHoldCents: number;
  /** Unused part of the hold given back to the org (repaid + to available). */
  releasedCents: number;
  /** Of the released part: what settles the org's receivable. */
  repaidCents: number;
  /** Excess over the hold covered by the available balance. */
  fromAvailableCents: number;
  /** Excess nobody covers: owed by the org from now on. */
  owedCents: number;
  /** What the org is charged: the actual cost (fromHold + fromAvailable + owed). */
  chargedCents: number;
}

function assertCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer number of cents, got ${v}`);
}

/** Takes amountCents from the org: available first, the rest becomes owed. */
export function planDebit(i: { amountCents: number; availableCents: number }): DebitPlan {
  assertCents('amountCents', i.amountCents);
  assertCents('availableCents', i.availableCents);
  const fromAvailableCents = Math.min(i.amountCents, i.availableCents);
  return { fromAvailableCents, owedCents: i.amountCents - fromAvailableCents };
}

/** Gives amountCents to the org: what it owes is settled first, the rest becomes available. */
export function planCredit(i: { amountCents: number; owedCents: number }): CreditPlan {
  assertCents('amountCents', i.amountCents);
  assertCents('owedCents', i.owedCents);
  const repaidCents = Math.min(i.amountCents, i.owedCents);
  return { repaidCents, toAvailableCents: i.amountCents - repaidCents };
}

export function planSettlement(i: SettlementInput): SettlementPlan {
  assertCents('heldCents', i.heldCents);
  assertCents('actualCents', i.actualCents);
  assertCents('availableCents', i.availableCents);
  assertCents('owedCents', i.owedCents);
  const fromHoldCents = Math.min(i.heldCents, i.actualCents);
  const releasedCents = i.heldCents - fromHoldCents;
  const debit = planDebit({ amountCents: i.actualCents - fromHoldCents, availableCents: i.availableCents });
  const credit = planCredit({ amountCents: releasedCents, owedCents: i.owedCents });
  return {
    heldCents: i.heldCents,
    actualCents: i.actualCents,
    fromHoldCents,
    releasedCents,
    repaidCents: credit.repaidCents,
    fromAvailableCents: debit.fromAvailableCents,
    owedCents: debit.owedCents,
    chargedCents: i.actualCents,
  };
}
