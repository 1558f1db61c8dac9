import { BalanceView, DomainError, ErrorCode, INSUFFICIENT_BALANCE_MESSAGE_PREFIX, owedRefusalMessage, RPC } from '@pipevideo/contracts';
import type { Downstream } from '../downstream';

/**
 * Runs a create (video generation, response) and, when it is refused for lack of balance, tells an
 * org that owes how much and what to do. The router refuses a create when nothing is available
 * without knowing why; an org that owes (credits Stripe took back after they were spent, usage beyond
 * its balance) always has nothing available, and "0 cents available" alone would hide that a top-up
 * first settles the debt. Costs one balance read, and only on such a refusal; any other outcome, or a
 * balance that cannot be read, passes through unchanged.
 */
export async function explainingOwed<T>(downstream: Downstream, orgId: string, create: Promise<T>): Promise<T> {
  try {
    return await create;
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== ErrorCode.BAD_REQUEST || !err.message.startsWith(INSUFFICIENT_BALANCE_MESSAGE_PREFIX)) throw err;
    const balance = await downstream.call<BalanceView>(RPC.billing.balanceGet, { orgId }).catch(() => null);
    if (!balance?.owed_cents || balance.owed_cents <= 0) throw err;
    throw new DomainError(ErrorCode.BAD_REQUEST, owedRefusalMessage(balance.owed_cents), err.details);
  }
}
