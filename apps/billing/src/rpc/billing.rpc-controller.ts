import { Controller, Inject } from '@nestjs/common';
import {
  BalanceView, CheckoutCreateMsg, CheckoutSessionReply, DomainError, ErrorCode, KeySpendMsg, KeySpendReply, LedgerCheckReply, OrgMsg, PlaceHoldMsg,
  PlaceHoldReply, RPC, StripeEventMsg, StripeEventReply, TokenChargeReply, TokenChargeWithHoldMsg, TopupListMsg, TopupListReply, TopupMsg, TopupReply, UsageListMsg,
  UsageListReply,
} from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import type { BillingComposition } from '../billing.composition';

export const BILLING_COMPOSITION = Symbol('BILLING_COMPOSITION');

/** NATS API of the billing service: delegates to the domain (requests arrive decoded, see @Handles), records metrics. */
@Controller()
export class BillingRpcController {
  constructor(@Inject(BILLING_COMPOSITION) private readonly d: BillingComposition) {}

  @Handles(RPC.billing.balanceGet)
  async balance(msg: OrgMsg): Promise<BalanceView> {
    return this.d.ledger.balance(msg.orgId);
  }

  @Handles(RPC.billing.topupCreate)
  async topup(msg: TopupMsg): Promise<TopupReply> {
    const r = await this.d.ledger.topup({
      orgId: msg.orgId,
      amountCents: msg.amountCents,
      source: msg.source,
      key: `topup:${msg.orgId}:${msg.idempotencyKey}`,
      note: msg.note,
    });
    this.d.metrics.record(r.moves);
    return { transactionId: r.transactionId, duplicate: r.duplicate, balance: r.balance };
  }

  @Handles(RPC.billing.holdPlace)
  async placeHold(msg: PlaceHoldMsg): Promise<PlaceHoldReply> {
    let r;
    try {
      r = await this.d.ledger.placeHold({
        orgId: msg.orgId,
        holdId: msg.holdId,
        amountCents: msg.amountCents,
        generationId: msg.generationId,
        ...(msg.keyId ? { keyId: msg.keyId } : {}),
        ...(msg.keyId && msg.keyLimitCents !== undefined ? { keyLimit: { limitCents: msg.keyLimitCents, reset: msg.keyLimitReset ?? 'none' } } : {}),
      });
    } catch (err) {
      this.d.metrics.holdFailed('error');
      throw err;
    }
    if (r.ok) {
      this.d.metrics.record(r.moves);
      return { outcome: 'placed', holdId: r.holdId, amountCents: r.amountCents, balance: r.balance };
    }
    this.d.metrics.holdFailed(r.reason);
    // Business refusals are replies the caller branches on; a conflicting or settled hold id is a bug (an error).
    if (r.reason === 'insufficient_balance' && r.balance) {
      return { outcome: 'insufficient', message: r.message, availableCents: r.balance.available_cents, owedCents: r.balance.owed_cents, balance: r.balance };
    }
    if (r.reason === 'key_limit' && r.keyLimit) return { outcome: 'key_limit', message: r.message, keyLimit: r.keyLimit };
    throw new DomainError(ErrorCode.CONFLICT, r.message);
  }

  @Handles(RPC.billing.tokenCharge)
  async chargeTokens(msg: TokenChargeWithHoldMsg): Promise<TokenChargeReply> {
    const r = await this.d.settlement.chargeTokens({
      orgId: msg.orgId,
      responseId: msg.responseId,
      holdId: msg.holdId,
      amountCents: msg.amountCents,
      inputTokens: msg.inputTokens,
      outputTokens: msg.outputTokens,
      generationId: msg.generationId,
      model: msg.model,
    });
    this.d.metrics.record(r.moves);
    return {
      responseId: r.responseId,
      holdId: r.holdId,
      chargedCents: r.chargedCents,
      writtenOffCents: r.writtenOffCents,
      releasedCents: r.releasedCents,
      duplicate: r.duplicate,
      balance: r.balance,
    };
  }

  @Handles(RPC.billing.usageList)
  async usage(msg: UsageListMsg): Promise<UsageListReply> {
    const page = await this.d.usage.list(msg);
    return { balance: await this.d.ledger.balance(msg.orgId), ...page };
  }

  @Handles(RPC.billing.topupList)
  topups(msg: TopupListMsg): Promise<TopupListReply> {
    return this.d.topups.list(msg);
  }

  @Handles(RPC.billing.checkoutCreate)
  async checkout(msg: CheckoutCreateMsg): Promise<CheckoutSessionReply> {
    return this.d.stripe.createCheckout(msg);
  }

  @Handles(RPC.billing.stripeEvent)
  async stripeEvent(msg: StripeEventMsg): Promise<StripeEventReply> {
    const { moves, ...reply } = await this.d.stripe.handleEvent(msg);
    this.d.metrics.record(moves);
    return reply;
  }

  /** What each of an org's keys spent or holds in its limit's current window (the gateway's `GET /v1/keys`). */
  @Handles(RPC.billing.keySpend)
  async keySpend(msg: KeySpendMsg): Promise<KeySpendReply> {
    return { data: await this.d.ledger.keySpend(msg.orgId, msg.keys.map((k) => ({ keyId: k.keyId, reset: k.reset }))) };
  }

  @Handles(RPC.billing.ledgerCheck)
  async check(): Promise<LedgerCheckReply> {
    const c = await this.d.ledger.check();
    return { balanced: c.balanced, transactions_unbalanced: c.transactions_unbalanced, cached_mismatches: c.cached_mismatches };
  }
}
