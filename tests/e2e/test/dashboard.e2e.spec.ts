/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core), against the whole
 * platform in microservices mode with the provider, SMTP, OIDC and Stripe sandboxes: the Quickstart of
 * spec 003 as a person does it — sign up by email, create an org, create a key (shown once), add funds
 * through the Stripe sandbox's checkout page, make a video in the playground and watch it complete, see
 * it in usage, add a webhook endpoint and send a test, switch orgs and see other keys — then OIDC
 * sign-in, names that carry markup rendered as text, phone width, and the dashboard's own deployable.
 * Each page's screenshot goes to docs/screenshots/.
 */
import { createServer, Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { http, waitFor } from './harness/http';
import { bootMicroservices, Platform, reservePorts } from './harness/platform';
import { DASHBOARD_DIR, DashboardServerProcess, launchChromium, screenshot, startDashboardServerProcess } from './harness/browser';

/** A name that runs script if any page puts it in the DOM as markup. */
const XSS = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';

let p: Platform;
let skip = false;
let browser: Browser;
let person: BrowserContext;
let page: Page;
let receiver: Server;
let receiverUrl: string;
const received: string[] = [];
const email = `ada.${Date.now().toString(36)}@example.com`;
let firstOrgKeyPrefix = '';

beforeAll(async () => {
  ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_DASHBOARD_DIR: DASHBOARD_DIR } }));
  if (skip) return;
  browser = await launchChromium();
  person = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await person.newPage();
  // Every dialog (confirm) is accepted; an alert would mean script ran — recorded by the XSS check below.
  page.on('dialog', (d) => void d.accept());
  // A customer's webhook receiver: answers 200 to every delivery.
  const port = await reservePorts();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', () => r()));
  receiverUrl = `http://127.0.0.1:${port}/hooks`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  await p?.stop();
});

const url = (path: string) => `${p.baseUrl}${path}`;

/** The newest mail to `to` whose subject matches, once it arrived in the SMTP sandbox. */
async function mailTo(to: string, subject: RegExp) {
  return waitFor(`mail to ${to}`, async () => {
    const r = await http('GET', `${p.mail.url}/messages?to=${encodeURIComponent(to)}`);
    return (r.body.data as Array<{ subject: string; links: string[] }>).find((m) => subject.test(m.subject));
  }, 20_000, 150);
}

async function heading(pg: Page, text: string | RegExp) {
  await pg.getByRole('heading', { level: 1, name: text }).waitFor();
}

async function selectOrg(pg: Page, name: string) {
  await pg.getByTestId('org-switcher').selectOption({ label: name });
}

/** No script of a name ran, and no page scrolls sideways (checked on every page the flow visits). */
async function pageIsSafe(pg: Page) {
  expect(await pg.evaluate('window.__xss')).toBeUndefined();
}

describe('the dashboard in a browser (Chromium)', () => {
  it('signs up by email, creates an org and a key (shown once), adds funds through Stripe, makes a video, sees usage, adds a webhook, and switches orgs', async () => {
    if (skip) return;
    // ---- Sign up: the sign-in page, the magic link from the SMTP sandbox.
    await page.goto(url('/'));
    await heading(page, 'Sign in to Pipevideo');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByText('Check your email.').waitFor();
    const mail = await mailTo(email, /sign-in/i);
    const link = mail.links.find((l) => l.includes('/auth/email/verify'))!;
    expect(link).toBeTruthy();
    await page.goto(link);
    // A new person has no organization: the dashboard takes them to create one.
    await heading(page, 'Organization');
    await page.getByText('You are not in an organization yet').waitFor();
    await page.locator('header .email', { hasText: email }).waitFor();

    // ---- Create an organization.
    await page.getByLabel('Name').fill('Acme Films');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: /Members of/ }).waitFor();
    expect(await page.getByTestId('org-switcher').inputValue()).toMatch(/^org_/);
    await page.getByTestId('members').getByText(email).waitFor();
    await screenshot(page, 'orgs');

    // ---- Keys: empty at first; create one with a spend limit; the secret is shown once.
    await page.getByRole('link', { name: 'Keys' }).click();
    await heading(page, 'API keys');
    await page.getByText('No keys yet').waitFor();
    await page.getByLabel('Name').fill('production');
    await page.getByLabel('Spend limit in dollars (optional)').fill('10');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret').textContent())!;
    expect(secret).toMatch(/^pv_/);
    const row = page.getByTestId('keys-table').locator('tr', { hasText: 'production' });
    await row.waitFor();
    expect(await row.textContent()).toContain('$10.00 left of $10.00');
    firstOrgKeyPrefix = (await row.locator('td.mono').textContent())!.replace('…', '');
    expect(secret.startsWith(firstOrgKeyPrefix)).toBe(true);
    // The secret is a real key of this org.
    expect((await http('GET', url('/v1/billing/balance'), { key: secret })).status).toBe(200);
    await screenshot(page, 'keys');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // ---- Billing: $0, Add funds → the Stripe sandbox's checkout page → back with the new balance.
    await page.getByRole('link', { name: 'Billing' }).click();
    await heading(page, 'Billing');
    await page.getByTestId('balance-total').waitFor();
    expect(await page.getByTestId('balance-total').textContent()).toBe('$0.00');
    await page.getByLabel('Amount in dollars').fill('25');
    await page.getByRole('button', { name: 'Add funds' }).click();
    await page.waitForURL((u) => !u.href.startsWith(p.baseUrl), { waitUntil: 'commit' });
    await page.getByRole('button', { name: /pay/i }).waitFor().catch(async (err) => {
      throw new Error(`no Stripe sandbox checkout page at ${page.url()}: ${(await page.textContent('body').catch(() => ''))?.slice(0, 300)} (${err})`);
    });
    await screenshot(page, 'stripe-checkout');
    await page.getByRole('button', { name: /pay/i }).click();
    await page.waitForURL((u) => u.href.startsWith(url('/billing')));
    await page.getByText('Payment received.').waitFor();
    await page.getByTestId('balance-total').filter({ hasText: '$25.00' }).waitFor({ timeout: 20_000 });
    // The payment is in the top-up history.
    await page.getByTestId('top-ups').locator('tr', { hasText: '$25.00' }).filter({ hasText: 'stripe' }).waitFor();
    await screenshot(page, 'billing');

    // ---- Playground: a model from /v1/models, a prompt, the video plays when it completes.
    await page.getByRole('link', { name: 'Playground' }).click();
    await heading(page, 'Playground');
    await page.getByLabel('Prompt').fill('A cat walking on a beach at sunset');
    const models = (await http('GET', url('/v1/models'))).body.data as Array<{ id: string; capabilities: { text_to_video: boolean } }>;
    expect(await page.getByLabel('Model').locator('option').count()).toBe(models.filter((m) => m.capabilities.text_to_video).length);
    await page.getByRole('button', { name: 'Generate video' }).click();
    await page.getByTestId('generation-status').filter({ hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const video = page.getByTestId('video');
    const src = (await video.getAttribute('src'))!;
    expect(src).toMatch(/^https?:\/\//);
    const genId = (await page.getByTestId('generation').locator('.mono').textContent())!;
    const gen = await http('GET', url(`/v1/video/generations/${genId}`), { key: secret });
    expect(gen.body.status).toBe('completed');
    expect(gen.body.output_url).toBe(src);
    await screenshot(page, 'playground');

    // ---- Usage: the generation, its cost, the charts.
    await page.getByRole('link', { name: 'Usage' }).click();
    await heading(page, 'Usage');
    const usageRow = page.getByTestId('usage-table').locator('tr', { hasText: genId });
    await usageRow.waitFor();
    expect(await page.locator('figure.chart').count()).toBe(2);
    await screenshot(page, 'usage');
    // Filters are the API's: a status with no rows empties the table and the charts; back to all, the row again.
    const filters = page.getByRole('form', { name: 'Usage filters' });
    await filters.getByLabel('Status').selectOption('failed');
    await page.getByText('No usage matches these filters').waitFor();
    await filters.getByLabel('Status').selectOption('');
    await usageRow.waitFor();
    await filters.getByLabel('Model').selectOption(gen.body.model);
    await usageRow.waitFor();
    expect(await page.getByTestId('usage-table').locator('tbody tr').count()).toBe(1);

    // ---- Webhooks: an endpoint (secret once), a test delivery that succeeds, a retry.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await heading(page, 'Webhooks');
    await page.getByText('No endpoints yet').waitFor();
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByLabel('Description (optional)').fill('local receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await page.getByTestId('secret').textContent()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('button', { name: 'Send test' }).click();
    await waitFor('the test delivery', async () => received.some((b) => b.includes('webhook.test')), 20_000);
    const deliveries = page.getByTestId('deliveries');
    await waitFor('the delivery log to show it succeeded', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return (await deliveries.locator('tr', { hasText: 'succeeded' }).count()) > 0;
    }, 20_000, 500);
    const before = received.length;
    await deliveries.getByRole('button', { name: /Retry delivery/ }).first().click();
    await waitFor('the retried delivery', async () => received.length > before, 20_000);
    await screenshot(page, 'webhooks');
    await pageIsSafe(page);

    // ---- A second org: other keys; the switcher brings back the first org's.
    await page.getByRole('link', { name: 'Organization' }).click();
    await page.getByLabel('Name').fill('Beta Studio');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Members of Beta Studio' }).waitFor();
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByText('No keys yet').waitFor();
    await page.getByLabel('Name').fill('beta-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByTestId('keys-table').locator('tr', { hasText: 'beta-key' }).waitFor();
    expect(await page.getByTestId('keys-table').locator('tr', { hasText: 'production' }).count()).toBe(0);
    await selectOrg(page, 'Acme Films');
    await page.getByTestId('keys-table').locator('tr', { hasText: 'production' }).waitFor();
    expect(await page.getByTestId('keys-table').locator('tr', { hasText: 'beta-key' }).count()).toBe(0);
    // Billing follows the org too: Beta has nothing, Acme has the $25.
    await selectOrg(page, 'Beta Studio');
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.getByTestId('balance-total').filter({ hasText: '$0.00' }).waitFor();
    await selectOrg(page, 'Acme Films');
    await page.getByTestId('balance-total').filter({ hasText: /\$2\d\.\d\d/ }).waitFor();
  });

  it('works at phone width (375px): no page scrolls sideways', async () => {
    if (skip) return;
    const phone = await person.newPage();
    await phone.setViewportSize({ width: 375, height: 812 });
    for (const path of ['/keys', '/billing', '/usage', '/webhooks', '/playground', '/orgs']) {
      await phone.goto(url(path));
      await phone.getByRole('heading', { level: 1 }).waitFor();
      await phone.waitForLoadState('networkidle');
      const overflow = await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
      if (path === '/keys') await screenshot(phone, 'keys-phone');
    }
    await phone.close();
  });

  it('is usable from the keyboard: every control has a name, and Tab reaches the key form', async () => {
    if (skip) return;
    const kb = await person.newPage();
    await kb.goto(url('/keys'));
    await heading(kb, 'API keys');
    // Every input, select and button has an accessible name (a label, text or aria-label).
    const unnamed = await kb.evaluate(`[...document.querySelectorAll('input, select, textarea, button')]
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.textContent || '').trim()).length`);
    expect(unnamed).toBe(0);
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await kb.keyboard.press('Tab');
      reached = (await kb.evaluate('document.activeElement && document.activeElement.name')) === 'name';
    }
    expect(reached).toBe(true);
    await kb.keyboard.type('typed-by-keyboard');
    await kb.keyboard.press('Enter');
    await kb.getByTestId('keys-table').locator('tr', { hasText: 'typed-by-keyboard' }).waitFor();
    await kb.close();
  });

  it('renders org, key and webhook names that carry markup as text: no script runs', async () => {
    if (skip) return;
    const x = await person.newPage();
    let dialogs = 0;
    x.on('dialog', (d) => (dialogs++, void d.accept()));
    await x.goto(url('/orgs'));
    await x.getByLabel('Name').fill(`Evil ${XSS}`);
    await x.getByRole('button', { name: 'Create organization' }).click();
    await x.getByRole('heading', { name: `Members of Evil ${XSS}` }).waitFor();
    // The name is on the page as the characters typed, in the heading and the switcher.
    expect(await x.locator('h2 .org-name').textContent()).toBe(`Evil ${XSS}`);
    expect(await x.getByTestId('org-switcher').locator('option:checked').textContent()).toBe(`Evil ${XSS}`);
    await x.getByRole('link', { name: 'Keys' }).click();
    await x.getByLabel('Name').fill(XSS);
    await x.getByRole('button', { name: 'Create key' }).click();
    await x.getByRole('button', { name: 'I have saved it' }).click();
    expect(await x.locator('.key-name').first().textContent()).toBe(XSS);
    await x.getByRole('link', { name: 'Webhooks' }).click();
    await x.getByLabel('URL').fill(receiverUrl);
    await x.getByLabel('Description (optional)').fill(XSS);
    await x.getByRole('button', { name: 'Add endpoint' }).click();
    await x.getByRole('button', { name: 'I have saved it' }).click();
    expect(await x.locator('.endpoint-description').first().textContent()).toBe(XSS);
    await x.reload();
    await x.locator('.endpoint-description').first().waitFor();
    await pageIsSafe(x);
    expect(await x.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toBe(0);
    // And the pages' CSP would block an inline handler even if one slipped through.
    const csp = (await http('GET', url('/keys'))).headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    await x.close();
  });

  it('invites a member by email: the link signs them in and joins them; a member sees keys but cannot manage them', async () => {
    if (skip) return;
    const memberEmail = `lin.${Date.now().toString(36)}@example.com`;
    await page.goto(url('/orgs'));
    await selectOrg(page, 'Acme Films');
    await page.getByRole('heading', { name: 'Members of Acme Films' }).waitFor();
    await page.getByLabel('Email to invite').fill(memberEmail);
    await page.getByRole('button', { name: 'Send invite' }).click();
    await page.getByText(`Invite sent to ${memberEmail}`).waitFor();
    const invite = await mailTo(memberEmail, /invited to Acme Films/);
    const link = invite.links.find((l) => l.includes('/invites/'))!;
    // A new browser: signed out, the invite page asks to sign in and comes back to it.
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const pg = await other.newPage();
    await pg.goto(link);
    await pg.getByText('Sign in (or sign up) to accept').waitFor();
    await pg.getByLabel('Email').fill(memberEmail);
    await pg.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const signIn = await mailTo(memberEmail, /sign-in/i);
    await pg.goto(signIn.links.find((l) => l.includes('/auth/email/verify'))!);
    await pg.waitForURL((u) => u.pathname.startsWith('/invites/'));
    await pg.getByText('You were invited to').waitFor();
    expect(await pg.locator('.org-name').first().textContent()).toBe('Acme Films');
    await pg.getByRole('button', { name: 'Accept invite' }).click();
    await heading(pg, 'API keys');
    await pg.getByTestId('keys-table').locator('tr', { hasText: 'production' }).waitFor();
    // A member reads keys but gets no create, rotate or revoke.
    await pg.getByText('Only admins and owners').waitFor();
    expect(await pg.getByRole('button', { name: 'Create key' }).count()).toBe(0);
    expect(await pg.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
    // The owner sees the new member.
    await page.reload();
    await page.getByTestId('members').getByText(memberEmail).waitFor();
    await other.close();
  });

  it('signs in with the OIDC sandbox issuer', async () => {
    if (skip) return;
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const pg = await other.newPage();
    const oidcEmail = `grace.${Date.now().toString(36)}@example.com`;
    await pg.goto(url('/signin'));
    await pg.getByRole('link', { name: /Sign in with Sandbox OIDC/ }).click();
    await pg.getByRole('heading', { name: 'OIDC sandbox' }).waitFor().catch(async (err) => {
      throw new Error(`not on the issuer's page but at ${pg.url()}: ${(await pg.textContent('body'))?.slice(0, 300)} (${err})`);
    });
    expect(pg.url().startsWith(p.oidc.issuer)).toBe(true);
    await pg.getByLabel('Email').fill(oidcEmail);
    await pg.getByRole('button', { name: 'Sign in' }).click();
    await pg.waitForURL((u) => u.href.startsWith(p.baseUrl));
    await pg.locator('header .email', { hasText: oidcEmail }).waitFor();
    await heading(pg, 'Organization');
    // A different person: none of Ada's organizations.
    expect(await pg.getByText('Acme Films').count()).toBe(0);
    await other.close();
  });

  describe('serving', () => {
    let server: DashboardServerProcess;
    afterAll(async () => server?.stop());

    it('the gateway serves the pages on their own paths and nothing else: the API, /docs, /openapi.json and 404s are untouched', async () => {
      if (skip) return;
      for (const path of ['/', '/signin', '/keys', '/billing', '/usage', '/webhooks', '/playground', '/orgs', '/invites/abc']) {
        const r = await http('GET', url(path));
        expect({ path, status: r.status, type: r.headers.get('content-type') }).toEqual({ path, status: 200, type: 'text/html; charset=utf-8' });
      }
      expect((await http('GET', url('/openapi.json'))).body.openapi).toMatch(/^3\./);
      expect((await http('GET', url('/v1/models'))).body.object).toBe('list');
      expect((await http('GET', url('/docs'))).status).toBe(200);
      const unknown = await http('GET', url('/no-such-page'));
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBeDefined();
      expect((await http('GET', url('/v1/no-such-thing'))).body.error).toBeDefined();
    });

    it('microservices mode: the dashboard deployable serves the pages and forwards only the public API to the gateway', async () => {
      if (skip) return;
      server = await startDashboardServerProcess(p.baseUrl);
      const keys = await http('GET', `${server.url}/keys`);
      expect(keys.status).toBe(200);
      expect(keys.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect((await http('GET', `${server.url}/v1/models`)).body.object).toBe('list');
      expect((await http('GET', `${server.url}/auth/session`)).status).toBe(401);
      // The operator API and anything else of the gateway are not reachable through it.
      expect((await http('GET', `${server.url}/admin/audit-log`, { headers: { authorization: `Bearer ${p.adminToken}` } })).status).toBe(404);
      expect((await http('GET', `${server.url}/docs`)).status).toBe(404);
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('pipevideo_http_request_duration_seconds');
      // The signed-in browser uses it as it uses the gateway: its session, its org, its keys.
      const pg = await person.newPage();
      await pg.goto(`${server.url}/keys`);
      await selectOrg(pg, 'Acme Films');
      await pg.getByTestId('keys-table').locator('tr', { hasText: 'production' }).waitFor();
      await pg.close();
    });
  });
});
