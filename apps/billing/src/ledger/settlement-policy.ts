/**
 * How a charge against a hold settles, as plain arithmetic (no I/O) so every case is unit-tested.
 *
 * Policy when the actual cost exceeds what was held: the excess is taken from the org's available
 * balance as far as it goes (never below zero); whatever is still missing is booked to the platform's
 * write-off account (the platform absorbs it; the org is never driven negative). When the actual cost
 * is below the hold, the unused part goes back to the available balance.
 */
export interface SettlementInput {
  /** Cents still reserved by the hold (0 when the hold is unknown, already released, or settled). */
  heldCents: number;
  /** What the job actually cost. */
  actualCents: number;
  /** The org's available balance (posted minus held) at the moment of settling, under its lock. */
  availableCents: number;
}

export interface SettlementPlan {
  heldCents: number;
  actualCents: number;
  /** Part of the cost covered by the hold. */
  fromHoldCents: number;
  /** Unused part of the hold returned to the available balance. */
  releasedCents: number;
  /** Excess over the hold covered by the available balance. */
  fromAvailableCents: number;
  /** Excess nobody covers: booked to write-off. */
  writtenOffCents: number;
  /** What the org actually pays: fromHold + fromAvailable. */
  chargedCents: number;
}

function assertCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer number of cents, got ${v}`);
}

export function planSettlement(i: SettlementInput): SettlementPlan {
  assertCents('heldCents', i.heldCents);
  assertCents('actualCents', i.actualCents);
  assertCents('availableCents', i.availableCents);
  const fromHoldCents = Math.min(i.heldCents, i.actualCents);
  const excess = i.actualCents - fromHoldCents;
  const fromAvailableCents = Math.min(excess, i.availableCents);
  return {
    heldCents: i.heldCents,
    actualCents: i.actualCents,
    fromHoldCents,
    releasedCents: i.heldCents - fromHoldCents,
    fromAvailableCents,
    writtenOffCents: excess - fromAvailableCents,
    chargedCents: fromHoldCents + fromAvailableCents,
  };
}
