/**
 * Money movements an operation made, reported to metrics after its transaction committed.
 * `owed`: usage or a Stripe reversal the org could not cover, now owed (its receivable grew);
 * `owed_settled`: what a top-up, release, refund or dispute won paid of it. `writeoff` is no longer
 * moved (orgs owe instead) and stays for the continuity of the series.
 */
export type MoneyOperation =
  | 'topup'
  | 'topup_reversal'
  | 'hold'
  | 'capture'
  | 'release'
  | 'token_charge'
  | 'refund'
  | 'owed'
  | 'owed_settled'
  | 'writeoff';
export const MONEY_OPERATIONS: MoneyOperation[] = ['topup', 'topup_reversal', 'hold', 'capture', 'release', 'token_charge', 'refund', 'owed', 'owed_settled', 'writeoff'];

export interface Move {
  operation: MoneyOperation;
  cents: number;
}

/** Drops zero movements so counters only see money that moved. */
export function moves(...list: Move[]): Move[] {
  return list.filter((m) => m.cents > 0);
}
