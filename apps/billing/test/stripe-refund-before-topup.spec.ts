import Stripe from 'stripe';
import { StripeBilling } from '../src/stripe/stripe-billing';
import { LedgerFixture, ledgerFixture } from './fixture';

const SECRET = 'whsec_refund_race';
const signer = new Stripe('sk_test_signer');

function signed(id: string, type: string, object: Record<string, unknown>) {
  const payload = JSON.stringify({ id, object: 'event', type, api_version: '2025-01-01', created: 1, data: { object } });
  return { v: 1, payload, signature: signer.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
}

const session = (pi: string, orgId: string, amount: number) => ({
  object: 'checkout.session', id: `cs_${pi}`, client_reference_id: orgId, metadata: { orgId, purpose: 'pipevideo_credits' },
  payment_intent: pi, amount_total: amount, currency: 'usd', payment_status: 'paid',
});

/**
 * The worst interleaving of a refund and its top-up, forced: the refund has looked for its top-up
 * and found none, and stalls before committing while checkout.session.completed is handled. The
 * payment intent's lock makes the completion wait, so it sees the refund kept pending and applies
 * it; without the lock the completion would commit first and the refund would wait forever.
 */
describe('a Stripe refund racing the completion of its checkout (real PostgreSQL)', () => {
  let f: LedgerFixture;
  let billing: StripeBilling;
  beforeAll(async () => {
    f = await ledgerFixture();
    billing = new StripeBilling({ webhookSecret: SECRET, successUrl: 'https://x/ok', cancelUrl: 'https://x/no', currency: 'usd', productName: 'c' }, f.ds, f.ledger);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('the refund found no top-up and has not committed yet: the completion waits for it, then applies it once', async () => {
    const real = f.ledger.topupByPaymentIntent.bind(f.ledger);
    let stalled!: () => void;
    const refundStalled = new Promise<void>((r) => (stalled = r));
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    const spy = jest.spyOn(f.ledger, 'topupByPaymentIntent').mockImplementation(async (pi, db) => {
      const found = await real(pi, db);
      if (pi === 'pi_slow' && !found) {
        stalled();
        await gate;
      }
      return found;
    });
    try {
      const refund = billing.handleEvent(signed('evt_slow_r', 'charge.refunded', { object: 'charge', id: 'ch_slow', payment_intent: 'pi_slow', amount: 1000, amount_refunded: 400 }));
      await refundStalled;
      let completedEarly = false;
      const completion = billing.handleEvent(signed('evt_slow_c', 'checkout.session.completed', session('pi_slow', 'org_slow', 1000))).then((r) => {
        completedEarly = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(completedEarly).toBe(false);
      go();
      expect(await refund).toMatchObject({ transactionId: null, duplicate: false });
      expect(await completion).toMatchObject({ credited: true });
      expect((await completion).moves).toEqual([{ operation: 'topup', cents: 1000 }, { operation: 'topup_reversal', cents: 400 }]);
    } finally {
      spy.mockRestore();
    }
    expect(await f.ledger.balance('org_slow')).toMatchObject({ available_cents: 600, owed_cents: 0 });
    expect(await f.ledger.check()).toMatchObject({ balanced: true });
  });

  it('pending reversals are applied once even when the completion is redelivered concurrently', async () => {
    await billing.handleEvent(signed('evt_dup_r', 'charge.refunded', { object: 'charge', id: 'ch_dup', payment_intent: 'pi_dup', amount: 700, amount_refunded: 700 }));
    const completion = signed('evt_dup_c', 'checkout.session.completed', session('pi_dup', 'org_dup', 700));
    const async = signed('evt_dup_a', 'checkout.session.async_payment_succeeded', session('pi_dup', 'org_dup', 700));
    const rs = await Promise.all([billing.handleEvent(completion), billing.handleEvent(completion), billing.handleEvent(async)]);
    expect(rs.filter((r) => r.credited)).toHaveLength(1);
    expect(rs.flatMap((r) => r.moves).filter((m) => m.operation === 'topup_reversal')).toEqual([{ operation: 'topup_reversal', cents: 700 }]);
    expect(await f.ledger.balance('org_dup')).toMatchObject({ available_cents: 0, owed_cents: 0 });
    expect(await f.ledger.check()).toMatchObject({ balanced: true });
  });
});
