import Stripe from 'stripe';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CheckoutCreateMsg, CheckoutSessionReply, DomainError, ErrorCode, StripeEventMsg, StripeEventReply,
} from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import { one, rows } from '../db/sql';
import type { Ledger } from '../ledger/ledger';
import type { Move } from '../ledger/moves';
import { StripeSettings, stripeHostOptions } from './stripe-config';

const CREDITING_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
/** Stripe gave money back (refund) or took it for a dispute, or returned it (dispute won). */
const REVERSING_EVENTS = new Set(['charge.refunded', 'charge.dispute.funds_withdrawn', 'charge.dispute.funds_reinstated']);
/** Marks the Checkout sessions this service creates: only they credit an org. */
const CREDITS_PURPOSE = 'pipevideo_credits';

/**
 * Stripe top-ups: Checkout sessions for an org and the webhook that credits it. An org is credited
 * exactly once per Checkout session and once per event id (Stripe redelivers, and sends both
 * `completed` and `async_payment_succeeded` for delayed payment methods): the event id is recorded
 * in `stripe_events` and the top-up's ledger key is the session id, in the same DB transaction.
 */
export class StripeBilling {
  private client?: Stripe;

  constructor(
    private readonly settings: StripeSettings,
    private readonly ds: DataSource,
    private readonly ledger: Ledger,
  ) {}

  private stripe(): Stripe {
    // A placeholder key still lets webhooks be verified when only the signing secret is configured.
    this.client ??= new Stripe(this.settings.secretKey ?? 'sk_unconfigured', {
      ...stripeHostOptions(this.settings.apiBase),
      maxNetworkRetries: 1,
      timeout: 10_000,
      appInfo: { name: 'pipevideo-billing' },
    });
    return this.client;
  }

  async createCheckout(msg: CheckoutCreateMsg): Promise<CheckoutSessionReply> {
    if (!this.settings.secretKey) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Stripe checkout is not configured (STRIPE_SECRET_KEY)');
    const successUrl = checkUrl('successUrl', msg.successUrl ?? this.settings.successUrl);
    const cancelUrl = checkUrl('cancelUrl', msg.cancelUrl ?? this.settings.cancelUrl);
    try {
      const session = await this.stripe().checkout.sessions.create({
        mode: 'payment',
        client_reference_id: msg.orgId,
        metadata: { orgId: msg.orgId, amountCents: String(msg.amountCents), purpose: CREDITS_PURPOSE },
        payment_intent_data: { metadata: { orgId: msg.orgId } },
        line_items: [
          { quantity: 1, price_data: { currency: this.settings.currency, unit_amount: msg.amountCents, product_data: { name: this.settings.productName } } },
        ],
        success_url: successUrl,
        cancel_url: cancelUrl,
      });
      if (!session.url) throw new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, 'Stripe returned a Checkout session without a URL');
      return { id: session.id, url: session.url };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const e = err as { type?: string; message?: string; statusCode?: number };
      logger.warn({ type: e.type, status: e.statusCode, message: e.message }, 'Stripe checkout session creation failed');
      if (e.type === 'StripeInvalidRequestError') throw new DomainError(ErrorCode.BAD_REQUEST, `Stripe refused the checkout: ${e.message}`);
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Stripe is unavailable, try again');
    }
  }

  async handleEvent(msg: StripeEventMsg): Promise<StripeEventReply & { moves: Move[] }> {
    if (!this.settings.webhookSecret) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)');
    let event: Stripe.Event;
    try {
      event = this.stripe().webhooks.constructEvent(msg.payload, msg.signature, this.settings.webhookSecret);
    } catch {
      throw new DomainError(ErrorCode.BAD_REQUEST, 'invalid Stripe signature');
    }
    const base = { received: true as const, eventId: event.id, type: event.type, moves: [] as Move[] };
    if (REVERSING_EVENTS.has(event.type)) return this.reverse(event, base);
    if (!CREDITING_EVENTS.has(event.type)) {
      const fresh = await this.recordEvent(event, null, 'ignored');
      return { ...base, credited: false, duplicate: !fresh, transactionId: null };
    }
    const session = event.data.object as Stripe.Checkout.Session;
    // Only sessions this service created credit an org (a Payment Link or another product in the same
    // Stripe account may carry a client_reference_id too): ours say so in their metadata, and the org
    // in the metadata and the client reference must agree.
    const orgId = session.metadata?.orgId || null;
    const ours = session.metadata?.purpose === CREDITS_PURPOSE;
    const amount = session.amount_total ?? 0;
    const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
    let skip: string | null = null;
    if (!ours) skip = 'not_a_credits_checkout';
    else if (!paid) skip = 'awaiting_payment';
    else if (!orgId || (session.client_reference_id && session.client_reference_id !== orgId)) skip = 'no_org';
    else if (!(amount > 0)) skip = 'no_amount';
    else if ((session.currency ?? this.settings.currency).toLowerCase() !== this.settings.currency) skip = 'wrong_currency';
    if (skip) {
      if (skip !== 'awaiting_payment' && skip !== 'not_a_credits_checkout') logger.error({ eventId: event.id, sessionId: session.id, skip }, 'Stripe checkout session not credited');
      const fresh = await this.recordEvent(event, session.id, skip);
      return { ...base, credited: false, duplicate: !fresh, transactionId: null };
    }
    return this.ds.transaction(async (m) => {
      if (!(await this.claimEvent(m, event, session.id))) {
        const prev = await one<{ transaction_id: string | null }>(m, `SELECT transaction_id FROM stripe_events WHERE event_id = $1`, [event.id]);
        return { ...base, credited: false, duplicate: true, transactionId: prev?.transaction_id ? String(prev.transaction_id) : null };
      }
      const topup = await this.ledger.topup(
        {
          orgId: orgId!,
          amountCents: amount,
          source: 'stripe',
          key: `stripe:session:${session.id}`,
          metadata: { stripeEventId: event.id, stripeSessionId: session.id, paymentIntent: session.payment_intent ?? null },
        },
        m,
      );
      await rows(m, `UPDATE stripe_events SET outcome = $2, transaction_id = $3 WHERE event_id = $1`, [
        event.id,
        topup.duplicate ? 'duplicate_session' : 'credited',
        topup.transactionId,
      ]);
      return { ...base, credited: !topup.duplicate, duplicate: topup.duplicate, transactionId: topup.transactionId, moves: topup.moves };
    });
  }

  /**
   * Money Stripe gave back to the customer or took for a dispute leaves the org's credits (what was
   * already spent is written off); a dispute won puts back exactly what its withdrawal took. The top-up
   * is found by its payment intent; a payment that credited no top-up is recorded as unmatched.
   */
  private async reverse(event: Stripe.Event, base: { received: true; eventId: string; type: string; moves: Move[] }): Promise<StripeEventReply & { moves: Move[] }> {
    // A Charge (refunds) or a Dispute: both name their payment intent, as an id or expanded.
    const obj = event.data.object as { id: string; payment_intent?: string | { id: string } | null; amount?: number; amount_refunded?: number };
    const paymentIntent = typeof obj.payment_intent === 'string' ? obj.payment_intent : obj.payment_intent?.id;
    const topup = paymentIntent ? await this.ledger.topupByPaymentIntent(paymentIntent) : null;
    if (!topup) {
      // Another product's charge — or ours before its top-up was credited (Stripe does not order events):
      // recorded as unmatched and logged, for the operator to reconcile.
      const fresh = await this.recordEvent(event, null, 'unmatched');
      if (fresh && paymentIntent) logger.warn({ eventId: event.id, type: event.type, paymentIntent }, 'Stripe refund or dispute for a payment that credited no top-up (yet)');
      return { ...base, credited: false, duplicate: !fresh, transactionId: null };
    }
    return this.ds.transaction(async (m) => {
      if (!(await this.claimEvent(m, event, null))) return { ...base, credited: false, duplicate: true, transactionId: null };
      let r: Awaited<ReturnType<Ledger['reverseTopup']>> | null = null;
      if (event.type === 'charge.refunded') {
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
              metadata: { stripeEventId: event.id, stripeRefundCharge: obj.id },
            },
            m,
          );
      } else {
        const withdrawn = `stripe:dispute:${obj.id}:withdrawn`;
        const amount = Math.min(obj.amount ?? 0, topup.amountCents);
        if (amount > 0)
          r = await this.ledger.reverseTopup(
            event.type === 'charge.dispute.funds_withdrawn'
              ? { orgId: topup.orgId, amountCents: amount, source: 'stripe', key: withdrawn, metadata: { stripeEventId: event.id, stripeDispute: obj.id } }
              : { orgId: topup.orgId, amountCents: amount, source: 'stripe', key: `stripe:dispute:${obj.id}:reinstated`, reinstates: withdrawn, metadata: { stripeEventId: event.id, stripeDispute: obj.id } },
            m,
          );
      }
      const outcome = r?.transactionId ? (r.duplicate ? 'duplicate_reversal' : 'reversed') : 'nothing_to_reverse';
      await rows(m, `UPDATE stripe_events SET outcome = $2, transaction_id = $3 WHERE event_id = $1`, [event.id, outcome, r?.transactionId ?? null]);
      if (r && !r.duplicate && r.writtenOffCents > 0) logger.warn({ eventId: event.id, orgId: topup.orgId, writtenOffCents: r.writtenOffCents }, 'Stripe took back credits the org had already spent: written off');
      return { ...base, credited: false, duplicate: !!r?.duplicate, transactionId: r?.transactionId ?? null, moves: r?.moves ?? [] };
    });
  }

  /**
   * Takes an event that moves money, in the caller's transaction with the money it moves: false when
   * this event id was taken before (a redelivery, possibly concurrent — it waits on the unique key).
   */
  private async claimEvent(m: EntityManager, event: Stripe.Event, sessionId: string | null): Promise<boolean> {
    const inserted = await rows(
      m,
      `INSERT INTO stripe_events (event_id, type, session_id, outcome) VALUES ($1, $2, $3, 'processing') ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type, sessionId],
    );
    return inserted.length > 0;
  }

  /** Records a non-crediting event once; false when this event id was seen before. */
  private async recordEvent(event: Stripe.Event, sessionId: string | null, outcome: string): Promise<boolean> {
    const r = await rows(
      this.ds,
      `INSERT INTO stripe_events (event_id, type, session_id, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type, sessionId, outcome],
    );
    return r.length > 0;
  }
}

function checkUrl(name: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be an absolute http(s) URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be an absolute http(s) URL`);
  // `new URL` would escape Stripe's {CHECKOUT_SESSION_ID} placeholder, so pass the original string.
  return url;
}
