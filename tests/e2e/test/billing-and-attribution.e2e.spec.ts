/**
 * Money in and usage out, over HTTP against the real services: a Stripe `checkout.session.completed`
 * (signed with the official SDK's test helper) credits the org once however often Stripe redelivers;
 * a Stripe refund of credits already spent leaves the org owing, which refuses new work until a
 * top-up settles it; `GET /v1/usage` filters by date and totals per day and model; app attribution
 * reaches the rankings.
 */
import Stripe from 'stripe';
import { http, pollGeneration, waitFor } from './harness/http';
import { balanceOf, settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, E2E_STRIPE_WEBHOOK_SECRET, Platform } from './harness/platform';

describe('billing through the gateway and app attribution (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    // Rankings show an app from 2 completed generations on (the default, 10, keeps small apps private).
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_RANKINGS_MIN_GENERATIONS: '2' } }));
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
    // The harness runs the stand-in's hosted checkout page (as `pnpm start` does), so the session's URL is that page.
    expect(checkout.body).toEqual({ id: expect.stringMatching(/^cs_/), url: expect.stringMatching(new RegExp(`/c/pay/${checkout.body.id}$`)) });
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

  it('a Stripe refund beyond what is available leaves the org owing: creates are refused until a top-up settles it', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'owing org');
    const stripe = new Stripe('sk_test_e2e');
    const webhook = async (event: Record<string, unknown>) => {
      const payload = JSON.stringify({ object: 'event', api_version: '2025-01-01', created: 1, ...event });
      const r = await http('POST', `${p.baseUrl}/v1/billing/stripe/webhook`, {
        raw: payload,
        headers: { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: E2E_STRIPE_WEBHOOK_SECRET }), 'content-type': 'application/json' },
      });
      expect(r.status).toBe(200);
      return r.body;
    };
    // 5,000 cents bought through Checkout (payment intent pi_e2e_owed) ...
    expect(
      await webhook({
        id: 'evt_e2e_owed_paid',
        type: 'checkout.session.completed',
        data: { object: { id: 'cs_e2e_owed', object: 'checkout.session', client_reference_id: org.orgId, payment_intent: 'pi_e2e_owed', amount_total: 5000, currency: 'usd', payment_status: 'paid', metadata: { orgId: org.orgId, purpose: 'pipevideo_credits' } } },
      }),
    ).toMatchObject({ credited: true });
    // ... some of them spent on a generation ...
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: 'A cat' } });
    expect(created.status).toBe(200);
    const done = await pollGeneration(p.baseUrl, org.key, created.body.id);
    expect(done.status).toBe('completed');
    const spent = done.cost_cents as number;
    expect(spent).toBeGreaterThan(0);
    expect(await settledBalance(p.baseUrl, org.key)).toMatchObject({ available_cents: 5000 - spent, held_cents: 0 });
    // ... then the customer is refunded the whole payment: the spent part is owed, not absorbed.
    await webhook({ id: 'evt_e2e_owed_refund', type: 'charge.refunded', data: { object: { id: 'ch_e2e_owed', object: 'charge', payment_intent: 'pi_e2e_owed', amount: 5000, amount_refunded: 5000 } } });
    const owing = await http('GET', `${p.baseUrl}/v1/billing/balance`, { key: org.key });
    expect(owing.status).toBe(200);
    expect(owing.body).toEqual({ balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: spent });
    expect(await balanceOf(p.baseUrl, org.key)).toMatchObject({ available_cents: 0, owed_cents: spent });

    // Nothing new starts while the org owes, and the refusal says what to do.
    const refused = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: 'Another cat' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining(`owes ${spent} cents`) });
    // The router adds what to do: "… owes N cents; a top-up settles it first. Add credits, then retry."
    expect(refused.body.error.message).toMatch(/^Insufficient balance: your organization owes \d+ cents; a top-up settles it first/);

    // A top-up pays the debt first; what is left can be spent again.
    const topup = await http('POST', `${p.baseUrl}/admin/orgs/${org.orgId}/credits`, { headers: { authorization: `Bearer ${p.adminToken}` }, body: { amount_cents: spent + 3000 } });
    expect(topup.status).toBe(201);
    expect(topup.body).toMatchObject({ available_cents: 3000, owed_cents: 0 });
    expect((await http('GET', `${p.baseUrl}/v1/billing/balance`, { key: org.key })).body).toMatchObject({ available_cents: 3000, owed_cents: 0 });
    const again = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: 'A cat, paid for' } });
    expect(again.status).toBe(200);
    expect((await pollGeneration(p.baseUrl, org.key, again.body.id)).status).toBe('completed');
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
    // Filtered on the server: the rows and the totals of one model only.
    const wan = await http('GET', `${p.baseUrl}/v1/usage?from=${today}&to=${today}&model=wan%2F2.5&status=completed`, { key: org.key });
    expect(wan.body.data.map((r: any) => [r.id, r.model])).toEqual([[ids[1], 'wan/2.5']]);
    expect(wan.body.totals.per_model.map((m: any) => m.model)).toEqual(['wan/2.5']);
    expect((await http('GET', `${p.baseUrl}/v1/usage?api=responses`, { key: org.key })).body.data).toEqual([]);
    const none = await http('GET', `${p.baseUrl}/v1/usage?from=2000-01-01&to=2000-01-02`, { key: org.key });
    expect(none.body.data).toHaveLength(0);
    const rankings = await http('GET', `${p.baseUrl}/v1/apps/rankings?window_hours=24`);
    expect(rankings.status).toBe(200);
    expect(rankings.body).toMatchObject({ object: 'list', min_generations: 2 });
    expect(rankings.body.data.find((a: any) => a.app === 'Cat Studio')).toEqual({ app: 'Cat Studio', title: 'Cat Studio', origin: 'https://cats.example', generations: 2 });
  });

  it('rankings: a Referer alone identifies an app (by its origin), failed generations do not count, an org can opt out', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'referer-only org');
    const headers = { 'HTTP-Referer': 'https://dogs.example/editor?session_token=s3cr3t' };
    for (const prompt of ['A dog', 'A dog', 'A dog [any:down]']) {
      const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, headers, body: { model: 'wan/2.5', prompt } });
      expect(r.status).toBe(200);
      await pollGeneration(p.baseUrl, org.key, r.body.id);
    }
    const ranked = async () => (await http('GET', `${p.baseUrl}/v1/apps/rankings?window_hours=1&limit=100`)).body;
    const dogs = (await ranked()).data.find((a: any) => a.origin === 'https://dogs.example');
    expect(dogs).toEqual({ app: 'dogs.example', title: null, origin: 'https://dogs.example', generations: 2 });
    expect(JSON.stringify(await ranked())).not.toMatch(/session_token|s3cr3t|editor/);

    const out = await http('PATCH', `${p.baseUrl}/v1/apps/rankings/settings`, { key: org.key, body: { opt_out: true } });
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({ object: 'rankings_settings', opt_out: true });
    expect((await ranked()).data.find((a: any) => a.origin === 'https://dogs.example')).toBeUndefined();
    expect((await http('GET', `${p.baseUrl}/v1/apps/rankings/settings`, { key: org.key })).body.opt_out).toBe(true);
  });
});
