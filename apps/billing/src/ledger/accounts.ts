import type { BalanceView } from '@pipevideo/contracts';

/** Kinds of ledger account (see README "Account model"). */
export type AccountKind = 'org_available' | 'org_held' | 'org_receivable' | 'platform_revenue' | 'topup_source' | 'writeoff';

export type TopupSource = 'operator' | 'stripe' | 'sandbox';

/**
 * Codes of the platform's own accounts, created by the migration. `writeoff` only holds shortfalls
 * booked before orgs could owe (1710000000200); nothing is written off any more, but refunds and
 * dispute reinstatements of those old transactions still reverse it.
 */
export const PLATFORM_ACCOUNTS = {
  revenue: 'platform:revenue',
  writeoff: 'platform:writeoff',
  source: (s: TopupSource) => `source:${s}`,
} as const;

/**
 * An org's balance row as read under its lock: the ids of its three accounts and their cached
 * balances. `owedCents` is what the org owes, i.e. minus the balance of its receivable account.
 */
export interface OrgAccounts {
  orgId: string;
  availableAccountId: string;
  heldAccountId: string;
  owedAccountId: string;
  availableCents: number;
  heldCents: number;
  owedCents: number;
}

/** The org's balance as every public answer shows it (the caller names the org: the view does not). */
export function balanceView(o: Pick<OrgAccounts, 'availableCents' | 'heldCents' | 'owedCents'>): BalanceView {
  return {
    balance_cents: o.availableCents + o.heldCents,
    held_cents: o.heldCents,
    available_cents: o.availableCents,
    owed_cents: o.owedCents,
  };
}

export function emptyBalance(): BalanceView {
  return { balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: 0 };
}
