import type Stripe from 'stripe';
import type { DataSource, EntityManager } from 'typeorm';
import { one, rows } from '@pipevideo/platform';

/** A refund or dispute event kept until the top-up of its payment intent is credited. */
export interface PendingReversal {
  eventId: string;
  type: string;
  object: StripeMoneyObject;
}

/** What billing reads of a Charge (refunds) or a Dispute: both name their payment intent. */
export interface StripeMoneyObject {
  id: string;
  payment_intent?: string | { id: string } | null;
  amount?: number;
  amount_refunded?: number;
}

/**
 * The `stripe_events` table: every Stripe event id is handled once. An event that moves money is
 * claimed in the same DB transaction as the money it moves (a redelivery, even a concurrent one,
 * waits on the unique key and then finds it taken); the others are recorded on their own.
 */
export class StripeEventLog {
  constructor(private readonly ds: DataSource) {}

  /** Takes an event in the caller's transaction: false when this event id was taken before. */
  async claim(m: EntityManager, event: Stripe.Event, sessionId: string | null, paymentIntent: string | null = null): Promise<boolean> {
    const inserted = await rows(
      m,
      `INSERT INTO stripe_events (event_id, type, session_id, payment_intent, outcome) VALUES ($1, $2, $3, $4, 'processing')
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type, sessionId, paymentIntent],
    );
    return inserted.length > 0;
  }

  /** Records an event that moves no money, once; false when this event id was seen before. */
  async record(event: Stripe.Event, sessionId: string | null, outcome: string): Promise<boolean> {
    const r = await rows(
      this.ds,
      `INSERT INTO stripe_events (event_id, type, session_id, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [event.id, event.type, sessionId, outcome],
    );
    return r.length > 0;
  }

  async setOutcome(m: EntityManager, eventId: string, outcome: string, transactionId: string | null): Promise<void> {
    await rows(m, `UPDATE stripe_events SET outcome = $2, transaction_id = $3 WHERE event_id = $1`, [eventId, outcome, transactionId]);
  }

  async transactionOf(m: EntityManager, eventId: string): Promise<string | null> {
    const prev = await one<{ transaction_id: string | null }>(m, `SELECT transaction_id FROM stripe_events WHERE event_id = $1`, [eventId]);
    return prev?.transaction_id ? String(prev.transaction_id) : null;
  }

  /** Keeps a claimed refund or dispute until its payment intent's top-up is credited. */
  async keepPending(m: EntityManager, eventId: string, object: StripeMoneyObject): Promise<void> {
    await rows(m, `UPDATE stripe_events SET outcome = 'pending_topup', pending_object = $2 WHERE event_id = $1`, [eventId, JSON.stringify(object)]);
  }

  /**
   * The events waiting for this payment intent's top-up, in the order they can be applied: refunds
   * and withdrawals before reinstatements (a dispute won undoes its withdrawal), then as received.
   */
  async pending(m: EntityManager, paymentIntent: string): Promise<PendingReversal[]> {
    const rs = await rows<{ event_id: string; type: string; pending_object: StripeMoneyObject }>(
      m,
      `SELECT event_id, type, pending_object FROM stripe_events WHERE outcome = 'pending_topup' AND payment_intent = $1
        ORDER BY (type = 'charge.dispute.funds_reinstated'), received_at, event_id FOR UPDATE`,
      [paymentIntent],
    );
    return rs.map((r) => ({ eventId: r.event_id, type: r.type, object: r.pending_object }));
  }

  /**
   * Serialises everything that concerns one payment intent (its top-up, its refunds and disputes) for
   * the rest of the transaction, so a refund cannot be kept pending while its top-up commits
   * without seeing it. Taken after the event claim and before the org's lock (one order everywhere).
   */
  async lockPaymentIntent(m: EntityManager, paymentIntent: string): Promise<void> {
    await rows(m, `SELECT pg_advisory_xact_lock(hashtextextended('stripe:payment_intent:' || $1, 0))`, [paymentIntent]);
  }
}

export function paymentIntentOf(o: { payment_intent?: string | { id: string } | null }): string | null {
  return (typeof o.payment_intent === 'string' ? o.payment_intent : o.payment_intent?.id) || null;
}
