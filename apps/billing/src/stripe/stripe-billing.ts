import Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import {
  CheckoutCreateMsg, CheckoutSessionReply, DomainError, ErrorCode, StripeEventMsg, StripeEventReply,
} from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import type { Ledger } from '../ledger/ledger';
import type { Move } from '../ledger/moves';
import { StripeSettings, stripeHostOptions } from './stripe-config';
import { paymentIntentOf, StripeEventLog } from './stripe-event-log';
import { REVERSING_EVENTS, StripeReversals } from './stripe-reversals';

const CREDITING_EVENTS = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);
/** Marks the Checkout sessions this service creates: only they credit an org. */
const CREDITS_PURPOSE = 'pipevideo_credits';

/**
 * Stripe top-ups: Checkout sessions for an org and the webhook that credits it. An org is credited
 * exactly once per Checkout session and once per event id (Stripe redelivers, and sends both
 * `completed` and `async_payment_succeeded` for delayed payment methods): the event id is recorded
 * in `stripe_events` and the top-up's ledger key is the session id, in the same DB transaction —
 * which also applies any refund or dispute of that payment that arrived before it. Refunds and
 * disputes themselves are StripeReversals' job.
 */
export class StripeBilling {
  private client?: Stripe;
  private readonly log: StripeEventLog;
  private readonly reversals: StripeReversals;

  constructor(
    private readonly settings: StripeSettings,
    private readonly ds: DataSource,
    private readonly ledger: Ledger,
  ) {
    this.log = new StripeEventLog(ds);
    this.reversals = new StripeReversals(ds, ledger, this.log);
  }

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
    if (REVERSING_EVENTS.has(event.type)) return this.reversals.handle(event, base);
    if (!CREDITING_EVENTS.has(event.type)) {
      const fresh = await this.log.record(event, null, 'ignored');
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
      const fresh = await this.log.record(event, session.id, skip);
      return { ...base, credited: false, duplicate: !fresh, transactionId: null };
    }
    const paymentIntent = paymentIntentOf(session);
    return this.ds.transaction(async (m) => {
      if (!(await this.log.claim(m, event, session.id, paymentIntent))) {
        return { ...base, credited: false, duplicate: true, transactionId: await this.log.transactionOf(m, event.id) };
      }
      // Before the org's lock (the order every Stripe path takes): a refund of this payment handled
      // concurrently either sees this top-up or is kept pending and applied below.
      if (paymentIntent) await this.log.lockPaymentIntent(m, paymentIntent);
      const topup = await this.ledger.topup(
        {
          orgId: orgId!,
          amountCents: amount,
          source: 'stripe',
          key: `stripe:session:${session.id}`,
          metadata: { stripeEventId: event.id, stripeSessionId: session.id, paymentIntent },
        },
        m,
      );
      await this.log.setOutcome(m, event.id, topup.duplicate ? 'duplicate_session' : 'credited', topup.transactionId);
      // Refunds and disputes that arrived before this top-up: applied now, with it, once.
      const reversed = paymentIntent ? await this.reversals.applyPending(m, paymentIntent) : [];
      return { ...base, credited: !topup.duplicate, duplicate: topup.duplicate, transactionId: topup.transactionId, moves: [...topup.moves, ...reversed] };
    });
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
