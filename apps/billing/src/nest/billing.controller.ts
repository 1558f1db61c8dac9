import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  BalanceView, CheckoutCreateMsg, CheckoutSessionReply, DomainError, ErrorCode, KeySpendMsg, KeySpendReply, LedgerCheckMsg, LedgerCheckReply, OrgMsg, PlaceHoldMsg,
  PlaceHoldReply, RPC, StripeEventMsg, StripeEventReply, TokenChargeReply, TokenChargeWithHoldMsg, TopupListMsg, TopupListReply, TopupMsg, TopupReply, UsageListMsg,
  UsageListReply, validateMessage,
} from '@pipevideo/contracts';
import type { BillingDomain } from '../billing-domain';

export const BILLING_DOMAIN = Symbol('BILLING_DOMAIN');

/** NATS API of the billing service: validates, delegates to the domain, records metrics. */
@Controller()
export class BillingController {
  constructor(@Inject(BILLING_DOMAIN) private readonly d: BillingDomain) {}

  @MessagePattern(RPC.billing.balanceGet)
  async balance(@Payload() data: unknown): Promise<BalanceView> {
    const msg = validateMessage(OrgMsg, data);
    return this.d.ledger.balance(msg.orgId);
  }

  @MessagePattern(RPC.billing.topupCreate)
  async topup(@Payload() data: unknown): Promise<TopupReply> {
    const msg = validateMessage(TopupMsg, data);
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

  @MessagePattern(RPC.billing.holdPlace)
  async placeHold(@Payload() data: unknown): Promise<PlaceHoldReply> {
    let msg: PlaceHoldMsg;
    try {
      msg = validateMessage(PlaceHoldMsg, data);
    } catch (err) {
      this.d.metrics.holdFailed('invalid_request');
      throw err;
    }
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
    if (!r.ok) {
      this.d.metrics.holdFailed(r.reason);
      const refusal = r.reason === 'insufficient_balance' || r.reason === 'key_limit';
      throw new DomainError(refusal ? ErrorCode.BAD_REQUEST : ErrorCode.CONFLICT, r.message, r.reason === 'key_limit' ? { reason: 'key_limit', ...r.keyLimit } : undefined);
    }
    this.d.metrics.record(r.moves);
    return { holdId: r.holdId, amountCents: r.amountCents, balance: r.balance };
  }

  @MessagePattern(RPC.billing.tokenCharge)
  async chargeTokens(@Payload() data: unknown): Promise<TokenChargeReply> {
    const msg = validateMessage(TokenChargeWithHoldMsg, data);
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

  @MessagePattern(RPC.billing.usageList)
  async usage(@Payload() data: unknown): Promise<UsageListReply> {
    const msg = validateMessage(UsageListMsg, data);
    const page = await this.d.usage.list(msg);
    return { balance: await this.d.ledger.balance(msg.orgId), ...page };
  }

  @MessagePattern(RPC.billing.topupList)
  topups(@Payload() data: unknown): Promise<TopupListReply> {
    return this.d.topups.list(validateMessage(TopupListMsg, data));
  }

  @MessagePattern(RPC.billing.checkoutCreate)
  async checkout(@Payload() data: unknown): Promise<CheckoutSessionReply> {
    return this.d.stripe.createCheckout(validateMessage(CheckoutCreateMsg, data));
  }

  @MessagePattern(RPC.billing.stripeEvent)
  async stripeEvent(@Payload() data: unknown): Promise<StripeEventReply> {
    const { moves, ...reply } = await this.d.stripe.handleEvent(validateMessage(StripeEventMsg, data));
    this.d.metrics.record(moves);
    return reply;
  }

  /** What each of an org's keys spent or holds in its limit's current window (the gateway's `GET /v1/keys`). */
  @MessagePattern(RPC.billing.keySpend)
  async keySpend(@Payload() data: unknown): Promise<KeySpendReply> {
    const msg = validateMessage(KeySpendMsg, data);
    return { data: await this.d.ledger.keySpend(msg.orgId, msg.keys.map((k) => ({ keyId: k.keyId, reset: k.reset }))) };
  }

  @MessagePattern(RPC.billing.ledgerCheck)
  async check(@Payload() data: unknown): Promise<LedgerCheckReply> {
    validateMessage(LedgerCheckMsg, data ?? {});
    const c = await this.d.ledger.check();
    return { balanced: c.balanced, transactions_unbalanced: c.transactions_unbalanced, cached_mismatches: c.cached_mismatches };
  }
}
