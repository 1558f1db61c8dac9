/**
 * Money in and usage out, over HTTP against the real services: a Stripe `checkout.session.completed`
 * (signed with the official SDK's test helper) credits the org once however often Stripe redelivers;
 * `GET /v1/usage` filters by date and totals per day and model; app attribution reaches the rankings.
 */
import Stripe from 'stripe';
import { http, pollGeneration, waitFor } from './harness/http';
import { balanceOf } from './harness/org';
import { bootMicroservices, createFundedOrg, E2E_STRIPE_WEBHOOK_SECRET, Platform } from './harness/platform';

describe('billing through the gateway and app attribution (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('a Stripe checkout completion credits the org exactly once, even when redelivered; a forged one is refused', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'stripe org');
    // The checkout session is created through the stripe SDK (against the local Stripe stand-in).
    const checkout = await http('POST', `${p.baseUrl}/v1/billing/checkout`, { key: org.key, body: { amount_cents: 2500, success_url: 'https://app.example/ok' } });
    expect(checkout.status).toBe(201);
    expect(checkout.body).toEqual({ id: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//) });
    expect(p.stripe.requests.at(-1)!.form.get('metadata[purpose]')).toBe('pipevideo_credits');
    const event = {
      id: 'evt_e2e_1',
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_e2e_1', object: 'checkout.session', client_reference_id: org.orgId, amount_total: 2500, currency: 'usd', payment_status: 'paid', metadata: { orgId: org.orgId, purpose: 'pipevideo_credits' } } },
    };
    const payload = JSON.stringify(event);
    const stripe = new Stripe('sk_test_e2e');
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: E2E_STRIPE_WEBHOOK_SECRET });
    const post = (sig: string, body = payload) => http('POST', `${p.baseUrl}/v1/billing/stripe/webhook`, { raw: body, headers: { 'stripe-signature': sig, 'content-type': 'application/json' } });
    expect((await post(signature)).status).toBeLessThan(300);
    expect((await post(signature)).status).toBeLessThan(300); // Stripe redelivers the same event
    // Another event id for the same session (Stripe may also send duplicates that way).
    const again = JSON.stringify({ ...event, id: 'evt_e2e_2' });
    expect((await post(stripe.webhooks.generateTestHeaderString({ payload: again, secret: E2E_STRIPE_WEBHOOK_SECRET }), again)).status).toBeLessThan(300);
    expect((await balanceOf(p.baseUrl, org.key)).balance_cents).toBe(2500);
    const forged = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' });
    expect((await post(forged)).status).toBe(400);
    expect((await balanceOf(p.baseUrl, org.key)).balance_cents).toBe(2500);
  });

  it('usage history filters by date and totals per day and per model; attribution reaches the rankings', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'usage org');
    const headers = { 'X-Title': 'Cat Studio', 'HTTP-Referer': 'https://cats.example' };
    const ids: string[] = [];
    for (const model of ['google/veo-3.1', 'wan/2.5']) {
      const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, headers, body: { model, prompt: 'A cat' } });
      expect(r.status).toBe(200);
      ids.push(r.body.id);
    }
    for (const id of ids) expect((await pollGeneration(p.baseUrl, org.key, id)).status).toBe('completed');
    const today = new Date().toISOString().slice(0, 10);
    const usage = await waitFor('usage rows', async () => {
      const u = await http('GET', `${p.baseUrl}/v1/usage?from=${today}&to=${today}`, { key: org.key });
      return u.status === 200 && u.body.data.length === 2 ? u.body : undefined;
    });
    expect(usage.data.map((r: any) => r.app_title)).toEqual(['Cat Studio', 'Cat Studio']);
    expect(usage.totals.per_model.map((m: any) => m.model).sort()).toEqual(['google/veo-3.1', 'wan/2.5']);
    const perDayCost = usage.totals.per_day.reduce((s: number, d: any) => s + d.cost_cents, 0);
    expect(perDayCost).toBe(usage.data.reduce((s: number, r: any) => s + r.cost_cents, 0));
    const none = await http('GET', `${p.baseUrl}/v1/usage?from=2000-01-01&to=2000-01-02`, { key: org.key });
    expect(none.body.data).toHaveLength(0);
    const rankings = await http('GET', `${p.baseUrl}/v1/apps/rankings?window_hours=24`);
    expect(rankings.status).toBe(200);
    expect(rankings.body.data.find((a: any) => a.app === 'Cat Studio')).toMatchObject({ generations: 2 });
  });
});
