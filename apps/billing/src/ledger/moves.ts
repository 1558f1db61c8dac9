/** Money movements an operation made, reported to metrics after its transaction committed. */
export type MoneyOperation = 'topup' | 'topup_reversal' | 'hold' | 'capture' | 'release' | 'token_charge' | 'refund' | 'writeoff';
export const MONEY_OPERATIONS: MoneyOperation[] = ['topup', 'topup_reversal', 'hold', 'capture', 'release', 'token_charge', 'refund', 'writeoff'];

export interface Move {
  operation: MoneyOperation;
  cents: number;
}

/** Drops zero movements so counters only see money that moved. */
export function moves(...list: Move[]): Move[] {
  return list.filter((m) => m.cents > 0);
}
