import type { BalanceView } from '@pipevideo/contracts';

/** Kinds of ledger account (see README "Account model"). */
export type AccountKind = 'org_available' | 'org_held' | 'platform_revenue' | 'topup_source' | 'writeoff';

export type TopupSource = 'operator' | 'stripe' | 'sandbox';

/** Codes of the platform's own accounts, created by the migration. */
export const PLATFORM_ACCOUNTS = {
  revenue: 'platform:revenue',
  writeoff: 'platform:writeoff',
  source: (s: TopupSource) => `source:${s}`,
} as const;

/** An org's balance row as read under its lock: the ids of its two accounts and their cached balances. */
export interface OrgAccounts {
  orgId: string;
  availableAccountId: string;
  heldAccountId: string;
  availableCents: number;
  heldCents: number;
}

export function balanceView(o: Pick<OrgAccounts, 'orgId' | 'availableCents' | 'heldCents'>): BalanceView {
  return {
    orgId: o.orgId,
    balance_cents: o.availableCents + o.heldCents,
    held_cents: o.heldCents,
    available_cents: o.availableCents,
  };
}

export function emptyBalance(orgId: string): BalanceView {
  return { orgId, balance_cents: 0, held_cents: 0, available_cents: 0 };
}
