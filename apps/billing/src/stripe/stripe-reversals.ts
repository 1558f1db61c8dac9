import type Stripe from 'stripe';
import type { DataSource, EntityManager } from 'typeorm';
import type { StripeEventReply } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import type { Ledger, TopupReversalResult } from '../ledger/ledger';
import type { Move } from '../ledger/moves';
import { paymentIntentOf, StripeEventLog, StripeMoneyObject } from './stripe-event-log';

/** Stripe gave money back (refund) or took it for a dispute, or returned it (dispute won). */
export const REVERSING_EVENTS = new Set(['charge.refunded', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated']);

type Base = { received: true; eventId: string; type: string; moves: Move[] };
type Reply = StripeEventReply & { moves: Move[] };

/**
 * Money Stripe hands back to the customer (refund) or takes for a dispute leaves the org's credits:
 * what is available is taken, what was spent or is held by running jobs becomes owed. A dispute won
 * gives back exactly what its withdrawal took. The top-up is found by its payment intent; a refund or
 * dispute whose top-up was not credited yet (Stripe does not order events) is kept and applied, once,
 * in the DB transaction that credits that top-up.
 */
export class StripeReversals {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: Ledger,
    private readonly log: StripeEventLog,
  ) {}

  async handle(event: Stripe.Event, base: Base): Promise<Reply> {
    const obj = event.data.object as unknown as StripeMoneyObject;
    const paymentIntent = paymentIntentOf(obj);
    return this.ds.transaction(async (m) => {
      if (!(await this.log.claim(m, event, null, paymentIntent))) {
        return { ...base, credited: false, duplicate: true, transactionId: await this.log.transactionOf(m, event.id) };
      }
      if (!paymentIntent) {
        await this.log.setOutcome(m, event.id, 'unmatched', null);
        return { ...base, credited: false, duplicate: false, transactionId: null };
      }
      await this.log.lockPaymentIntent(m, paymentIntent);
      const topup = await this.ledger.topupByPaymentIntent(paymentIntent, m);
      if (!topup) {
        // Ours before its top-up was credited (or another product's charge, which then waits forever
        // and harms nothing): applied when checkout.session.completed for this payment intent lands.
        await this.log.keepPending(m, event.id, obj);
        logger.warn({ eventId: event.id, type: event.type, paymentIntent }, 'Stripe refund or dispute before its top-up was credited: kept until it is');
        return { ...base, credited: false, duplicate: false, transactionId: null };
      }
      const r = await this.apply(m, event.id, event.type, obj, topup);
      return { ...base, credited: false, duplicate: !!r?.duplicate, transactionId: r?.transactionId ?? null, moves: r?.moves ?? [] };
    });
  }

  /**
   * Applies the refunds and disputes kept for this payment intent, in the caller's transaction (the
   * one that credited its top-up, holding the payment intent's lock). Each is applied once: its event
   * leaves the pending state with the outcome of the reversal.
   */
  async applyPending(m: EntityManager, paymentIntent: string): Promise<Move[]> {
    const pending = await this.log.pending(m, paymentIntent);
    if (!pending.length) return [];
    const topup = await this.ledger.topupByPaymentIntent(paymentIntent, m);
    if (!topup) return [];
    const out: Move[] = [];
    for (const p of pending) {
      const r = await this.apply(m, p.eventId, p.type, p.object, topup);
      out.push(...(r?.moves ?? []));
      logger.warn({ eventId: p.eventId, type: p.type, paymentIntent, orgId: topup.orgId, owedCents: r?.owedCents ?? 0 }, 'Stripe refund or dispute applied now that its top-up was credited');
    }
    return out;
  }

  /** One reversal against its top-up; records the event's outcome. */
  private async apply(
    m: EntityManager,
    eventId: string,
    type: string,
    obj: StripeMoneyObject,
    topup: { orgId: string; amountCents: number },
  ): Promise<TopupReversalResult | null> {
    let r: TopupReversalResult | null = null;
    if (type === 'charge.refunded') {
      // amount_refunded is cumulative: take what this refund adds, at most what the top-up brought.
      const refunded = Math.min(obj.amount_refunded ?? 0, topup.amountCents);
      if (refunded > 0)
        r = await this.ledger.reverseTopup(
          {
            orgId: topup.orgId,
            amountCents: refunded,
            refundOfCharge: obj.id,
            source: 'stripe',
            key: `stripe:refund:${obj.id}:${refunded}`,
            metadata: { stripeEventId: eventId, stripeRefundCharge: obj.id },
          },
          m,
        );
    } else {
      const withdrawn = `stripe:dispute:${obj.id}:withdrawn`;
      const amount = Math.min(obj.amount ?? 0, topup.amountCents);
      if (amount > 0)
        r = await this.ledger.reverseTopup(
          type === 'charge.dispute.funds_withdrawn'
            ? { orgId: topup.orgId, amountCents: amount, source: 'stripe', key: withdrawn, metadata: { stripeEventId: eventId, stripeDispute: obj.id } }
            : { orgId: topup.orgId, amountCents: amount, source: 'stripe', key: `stripe:dispute:${obj.id}:reinstated`, reinstates: withdrawn, metadata: { stripeEventId: eventId, stripeDispute: obj.id } },
          m,
        );
    }
    const outcome = r?.transactionId ? (r.duplicate ? 'duplicate_reversal' : 'reversed') : 'nothing_to_reverse';
    await this.log.setOutcome(m, eventId, outcome, r?.transactionId ?? null);
    if (r && !r.duplicate && r.owedCents > 0) {
      logger.warn({ eventId, orgId: topup.orgId, owedCents: r.owedCents }, 'Stripe took back credits the org had already spent or holds for running jobs: now owed');
    }
    return r;
  }
}
