import { Controller, Inject } from '@nestjs/common';
import {
  BalanceView, CheckoutCreateMsg, CheckoutSessionReply, DomainError, ErrorCode, KeySpendMsg, KeySpendReply, LedgerCheckReply, OrgMsg, PlaceHoldMsg,
  PlaceHoldReply, PlaceHoldsItem, PlaceHoldsMsg, PlaceHoldsReply, ReleaseHoldMsg, ReleaseHoldReply, RPC, type RpcErrorBody, StripeEventMsg, StripeEventReply, TokenChargeReply, TokenChargeWithHoldMsg, TopupListMsg, TopupListReply, TopupMsg, TopupReply, UsageListMsg,
  UsageListReply,
} from '@pipevideo/contracts';
import { Handles, isConnectivityError, logger, withCorrelationId } from '@pipevideo/platform';
import type { BillingComposition } from '../billing.composition';
import type { PlaceHoldInput, PlaceHoldResult } from '../ledger/ledger';

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
      r = await this.d.ledger.placeHold(holdInput(msg));
    } catch (err) {
      this.d.metrics.holdFailed('error');
      throw err;
    }
    return this.holdReply(r);
  }

  /**
   * Many holds in one request (the router's batches), fed to the ledger together so they share
   * `place_holds` calls. Each hold is answered exactly as `billing.hold.place` would answer it, its
   * error included (`outcome: 'error'`): one refused or conflicting hold never fails the others.
   */
  @Handles(RPC.billing.holdPlaceMany)
  async placeHolds(msg: PlaceHoldsMsg): Promise<PlaceHoldsReply> {
    const answers = await Promise.allSettled(this.d.ledger.placeHolds(msg.holds.map(holdInput)));
    return {
      results: answers.map((a, k): PlaceHoldsItem => {
        if (a.status === 'rejected') {
          this.d.metrics.holdFailed('error');
          // Logged (if at all) with the correlation id of the create the hold belongs to.
          return { outcome: 'error', ...withCorrelationId(msg.holds[k].correlationId, () => errorBody(a.reason)) };
        }
        try {
          return this.holdReply(a.value);
        } catch (err) {
          return { outcome: 'error', ...errorBody(err) };
        }
      }),
    };
  }

  /** A closed attempt's hold released now (a fallback's), once with its `hold.release_requested` event. */
  @Handles(RPC.billing.holdRelease)
  async releaseHold(msg: ReleaseHoldMsg): Promise<ReleaseHoldReply> {
    return { released: await this.d.events.releaseNow({ orgId: msg.orgId, holdId: msg.holdId, reason: msg.reason }) };
  }

  /** The reply of one placed or refused hold (metrics recorded); a conflicting or settled hold id throws CONFLICT. */
  private holdReply(r: PlaceHoldResult): PlaceHoldReply {
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

function holdInput(msg: PlaceHoldMsg): PlaceHoldInput {
  return {
    orgId: msg.orgId,
    holdId: msg.holdId,
    amountCents: msg.amountCents,
    generationId: msg.generationId,
    ...(msg.keyId ? { keyId: msg.keyId } : {}),
    ...(msg.keyId && msg.keyLimitCents !== undefined ? { keyLimit: { limitCents: msg.keyLimitCents, reset: msg.keyLimitReset ?? 'none' } } : {}),
  };
}

/** One hold's error as `billing.hold.place` would have answered it (the same rules as the platform's RpcErrorFilter). */
function errorBody(err: unknown): RpcErrorBody {
  if (err instanceof DomainError) return err.toBody();
  if (isConnectivityError(err)) return { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'A database this service needs cannot be reached right now. Retry shortly.' };
  logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : err }, 'unhandled error placing a hold of billing.hold.placeMany');
  return { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error' };
}
