/**
 * Issue 15, "Stripe end to end in embedded mode": `pnpm start` wires the Stripe sandbox by default. A
 * person signs up through the mail sandbox, creates an org, starts a checkout with the session, opens
 * the sandbox's hosted checkout page, presses Pay — the sandbox sends the signed
 * checkout.session.completed to billing and redirects back to /billing — and the balance is credited
 * once, listed in the top-up history. Over HTTP only, embedded mode exactly as `pnpm start` runs it.
 */
import { freshEmail, Person } from './harness/accounts';
import { waitFor } from './harness/http';
import { EmbeddedPlatformProcess, startEmbeddedProcess } from './harness/platform';

jest.setTimeout(240_000);

describe('embedded mode: Add funds through the Stripe sandbox', () => {
  let e: EmbeddedPlatformProcess;
  beforeAll(async () => {
    e = await startEmbeddedProcess();
  });
  afterAll(async () => e?.stop());

  it('checkout → hosted page → Pay → signed webhook → credited balance and top-up history', async () => {
    const ada = new Person({ baseUrl: e.baseUrl, mail: { url: e.mailUrl } }, freshEmail('ada'));
    await ada.signInByEmail();
    ada.org = await ada.createOrg('Funded Co');
    expect((await ada.request('GET', '/v1/billing/balance')).body.balance_cents).toBe(0);
    expect((await ada.request('GET', '/v1/billing/topups')).body).toEqual({ object: 'list', data: [], has_more: false, next_cursor: null });

    const checkout = await ada.request('POST', '/v1/billing/checkout', { body: { amount_cents: 2500, success_url: `${e.baseUrl}/billing?checkout=success`, cancel_url: `${e.baseUrl}/billing` } });
    expect(checkout.status).toBe(201);
    expect(checkout.body.id).toMatch(/^cs_test_/);
    const page = await ada.request('GET', checkout.body.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('25.00 USD');
    const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1];
    const paid = await ada.request('POST', new URL(action, checkout.body.url).href, { form: {} });
    expect(paid.status).toBe(303);
    expect(paid.location).toBe(`${e.baseUrl}/billing?checkout=success`);

    const balance = await waitFor('the credited balance', async () => {
      const b = await ada.request('GET', '/v1/billing/balance');
      return b.body.balance_cents === 2500 ? b.body : undefined;
    });
    expect(balance.available_cents).toBe(2500);
    // Paying twice (a reload) credits nothing more.
    const again = await ada.request('POST', new URL(action, checkout.body.url).href, { form: {} });
    expect(again.status).toBe(303);
    const topups = await ada.request('GET', '/v1/billing/topups');
    expect(topups.body.data).toHaveLength(1);
    expect(topups.body.data[0]).toMatchObject({ object: 'topup', amount_cents: 2500, source: 'stripe' });
    expect((await ada.request('GET', '/v1/billing/balance')).body.balance_cents).toBe(2500);
  });
});
