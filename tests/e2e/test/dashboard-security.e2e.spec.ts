/**
 * Issue 15's security properties of human accounts, each tried over HTTP against the whole platform:
 * session fixation, CSRF, open redirects after sign-in, cross-org access by id, account enumeration,
 * brute force (rate limits per address and per client IP), and names with markup staying data.
 */
import fc from 'fast-check';
import { http } from './harness/http';
import { freshEmail, Person } from './harness/accounts';
import { bootMicroservices, Platform } from './harness/platform';

jest.setTimeout(180_000);

describe('dashboard security', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    // Per-IP limits are tested with client addresses set by a trusted proxy (X-Forwarded-For from 127.0.0.1).
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_AUTH_IP_LIMIT: '12', PIPEVIDEO_TRUSTED_PROXIES: '127.0.0.1' } }));
  });
  afterAll(async () => p?.stop());
  let ip = 1;
  /** A browser behind the trusted proxy with an address of its own (its own per-IP budget). */
  const person = (who: string) => new Person(p, freshEmail(who), { 'x-forwarded-for': `203.0.113.${ip++}` });

  it('session fixation: a cookie planted before sign-in is never adopted, and ends', async () => {
    if (skip) return;
    const victim = person('victim');
    const planted = 'A'.repeat(43);
    victim.jar.cookies.set('pv_session', planted);
    await victim.signInByEmail();
    const issued = victim.jar.cookies.get('pv_session')!;
    expect(issued).not.toBe(planted);
    expect((await victim.request('GET', '/auth/session')).status).toBe(200);
    const attacker = person('attacker');
    attacker.jar.cookies.set('pv_session', planted);
    expect((await attacker.request('GET', '/auth/session')).status).toBe(401);

    // An attacker's own real session planted in the victim's browser ends when the victim signs in.
    const mallory = person('mallory');
    await mallory.signInByEmail();
    const malloryCookie = mallory.jar.cookies.get('pv_session')!;
    const victim2 = person('victim2');
    victim2.jar.cookies.set('pv_session', malloryCookie);
    await victim2.signInByEmail();
    expect(victim2.jar.cookies.get('pv_session')).not.toBe(malloryCookie);
    expect((await victim2.refresh()).body.user.email).toBe(victim2.email);
    expect((await mallory.request('GET', '/auth/session')).status).toBe(401);
  });

  it('CSRF: cookie calls that change state need the session’s X-CSRF-Token', async () => {
    if (skip) return;
    const ada = person('ada');
    await ada.signInByEmail();
    ada.org = await ada.createOrg('Csrf Co');
    const none = await ada.request('POST', '/v1/keys', { body: { name: 'x' }, csrf: false });
    expect(none.status).toBe(403);
    expect(none.body.error.message).toMatch(/CSRF/);
    expect((await ada.request('POST', '/v1/keys', { body: { name: 'x' }, headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
    // Another session's token is wrong too.
    const bob = person('bob');
    await bob.signInByEmail();
    expect((await ada.request('POST', '/v1/keys', { body: { name: 'x' }, headers: { 'x-csrf-token': bob.csrf! } })).status).toBe(403);
    expect((await ada.request('POST', '/v1/orgs', { body: { name: 'y' }, csrf: false })).status).toBe(403);
    expect((await ada.request('POST', '/auth/signout', { csrf: false })).status).toBe(403);
    expect((await ada.request('GET', '/v1/keys')).body.data).toHaveLength(0); // nothing was made
    expect((await ada.request('POST', '/v1/keys', { body: { name: 'x' } })).status).toBe(201);
    // The session cookie is httpOnly and SameSite=Lax.
    const fresh = person('cookie');
    await fresh.request('POST', '/auth/email/start', { body: { email: fresh.email } });
    const mail = await fresh.mail(/sign-in link/);
    const r = await fetch(mail.links[0], { redirect: 'manual' });
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('pv_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
  });

  it('open redirect: return_to is only ever a same-origin path', async () => {
    if (skip) return;
    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/%0d%0aLocation:%20https://evil.example', ' https://evil.example']) {
      const who = person('redirect');
      const landed = await who.signInByEmail(evil);
      expect(landed.status).toBe(303);
      const loc = landed.location!;
      expect(new URL(loc, p.baseUrl).origin).toBe(p.baseUrl);
      expect(loc.startsWith('//')).toBe(false);
      // (A same-origin path may keep percent-encoded text: it is a path here, never a header or a host.)
      expect(loc).not.toMatch(/[\r\n]/);
      if (!evil.startsWith('/%')) expect(loc).toBe('/');
    }
    const ok = person('redirect-ok');
    expect((await ok.signInByEmail('/usage?from=2026-01-01')).location).toBe('/usage?from=2026-01-01');
    const oidc = await ok.request('GET', '/auth/oidc/start?return_to=https://evil.example');
    expect(new URL(oidc.location!).origin).toBe(p.oidc.issuer); // to the configured issuer only
  });

  it('cross-org: another org’s key, usage, webhook and generation by id are 404; its org header is 403', async () => {
    if (skip) return;
    const ada = person('ada');
    await ada.signInByEmail();
    ada.org = await ada.createOrg('Ada Org');
    await http('POST', `${p.baseUrl}/admin/orgs/${ada.org}/credits`, { headers: { authorization: `Bearer ${p.adminToken}` }, body: { amount_cents: 1000 } });
    const adaKey = (await ada.request('POST', '/v1/keys', { body: { name: 'ada-key' } })).body;
    const adaHook = (await ada.request('POST', '/v1/webhooks', { body: { url: 'https://example.com/ada' } })).body;
    expect(adaHook.id).toMatch(/^ep_/);
    const adaGen = (await ada.request('POST', '/v1/video/generations', { body: { model: 'google/veo-3.1', prompt: 'ada only', duration: 4 } })).body;
    expect(adaGen.id).toMatch(/^gen_/);

    const eve = person('eve');
    await eve.signInByEmail();
    eve.org = await eve.createOrg('Eve Org');
    // Naming Ada's org: refused outright.
    const asAda = { headers: { 'x-pipevideo-org': ada.org } };
    expect((await eve.request('GET', '/v1/keys', asAda)).status).toBe(403);
    expect((await eve.request('GET', '/v1/usage', asAda)).status).toBe(403);
    expect((await eve.request('GET', `/v1/orgs/${ada.org}/members`)).status).toBe(404);
    // Ada's ids in Eve's own org: not found.
    expect((await eve.request('DELETE', `/v1/keys/${adaKey.id}`)).status).toBe(404);
    expect((await eve.request('POST', `/v1/keys/${adaKey.id}/rotate`)).status).toBe(404);
    expect((await eve.request('GET', `/v1/webhooks/${adaHook.id}`)).status).toBe(404);
    expect((await eve.request('GET', `/v1/webhooks/${adaHook.id}/deliveries`)).status).toBe(404);
    expect((await eve.request('GET', `/v1/video/generations/${adaGen.id}`)).status).toBe(404);
    expect((await eve.request('GET', '/v1/usage')).body.data).toEqual([]);
    // Ada's key still works, her things are untouched.
    expect((await http('GET', `${p.baseUrl}/v1/webhooks/${adaHook.id}`, { key: adaKey.key })).status).toBe(200);
  });

  it('enumeration: the same answer for a known and an unknown address', async () => {
    if (skip) return;
    const known = person('known');
    await known.signInByEmail();
    const a = await person('x').request('POST', '/auth/email/start', { body: { email: known.email } });
    const b = await person('y').request('POST', '/auth/email/start', { body: { email: freshEmail('nobody') } });
    expect(a.status).toBe(202);
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    expect([...b.headers.keys()].filter((h) => !/^(date|x-correlation-id|x-ratelimit-|content-length)/.test(h)).sort()).toEqual(
      [...a.headers.keys()].filter((h) => !/^(date|x-correlation-id|x-ratelimit-|content-length)/.test(h)).sort(),
    );
  });

  it('brute force: sign-in mails per address and attempts per client IP are limited', async () => {
    if (skip) return;
    const target = freshEmail('target');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await person('spray').request('POST', '/auth/email/start', { body: { email: target } })).status);
    // PIPEVIDEO_AUTH_EMAIL_LIMIT defaults to 5 per 10 minutes, from any number of addresses.
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Token guessing from one client IP: 12 attempts, then 429 (also with a real token).
    const guesser = person('guesser');
    const answers: number[] = [];
    for (let i = 0; i < 14; i++) answers.push((await guesser.request('POST', '/auth/email/verify', { body: { token: `${'g'.repeat(42)}${i % 10}` } })).status);
    expect(answers.slice(0, 12).every((s) => s === 400)).toBe(true);
    expect(answers.slice(12)).toEqual([429, 429]);
    const limited = await guesser.request('POST', '/auth/email/verify', { body: { token: 'h'.repeat(43) } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after') ?? limited.body.error.retry_after)).toBeGreaterThan(0);
    // A used link does not work twice.
    const once = person('once');
    await once.request('POST', '/auth/email/start', { body: { email: once.email } });
    const link = (await once.mail(/sign-in link/)).links[0] as string;
    expect((await once.request('GET', link)).location).toBe('/');
    const second = person('once-again');
    const replay = await second.request('GET', link);
    expect(replay.location).toBe('/signin?error=invalid_link');
    expect(second.jar.cookies.has('pv_session')).toBe(false);
  });

  it('XSS: names with markup are stored and returned as JSON data, never served as HTML', async () => {
    if (skip) return;
    const evil = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>';
    const ada = person('xss');
    await ada.signInByEmail();
    const created = await ada.request('POST', '/v1/orgs', { body: { name: evil } });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(evil);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    ada.org = created.body.id;
    const key = await ada.request('POST', '/v1/keys', { body: { name: evil } });
    expect(key.body.name).toBe(evil);
    const session = await ada.request('GET', '/auth/session');
    expect(session.headers.get('content-type')).toMatch(/^application\/json/);
    expect(session.body.orgs[0].name).toBe(evil);
    for (const path of ['/v1/orgs', '/v1/keys', `/v1/orgs/${ada.org}/members`]) {
      const r = await ada.request('GET', path, { headers: { accept: 'text/html' } });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
    // The invitation mail escapes the org name in its HTML part.
    const invitee = freshEmail('invitee');
    expect((await ada.request('POST', `/v1/orgs/${ada.org}/invites`, { body: { email: invitee } })).status).toBe(201);
    const mails = (await http('GET', `${p.mail.url}/messages?to=${encodeURIComponent(invitee)}`)).body.data;
    expect(mails[0].html).not.toContain('<script>');
    expect(mails[0].html).toContain('&lt;script&gt;');
  });

  it('hostile input to the accounts and org routes: a documented 4xx, never a 5xx', async () => {
    if (skip) return;
    const hal = person('hostile');
    await hal.signInByEmail();
    hal.org = await hal.createOrg('Hostile Co');
    const hostile = fc.constantFrom(
      '', ' ', '\u0000', '../../etc/passwd', '%00', '%2e%2e%2f', 'org_', 'org_abc', 'usr_abc', 'inv_abc', 'x'.repeat(43), '<script>alert(1)</script>',
      "'; DROP TABLE users; --", '__proto__', '💥'.repeat(50), 'a'.repeat(3000), 'null', '[]', '{}', 'https://evil.example', '//evil', 'owner', 'admin',
    );
    const value = fc.oneof(hostile, fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }), fc.integer(), fc.constant(null));
    const routes: Array<[string, (v: string) => string]> = [
      ['POST', () => '/auth/email/start'],
      ['POST', () => '/auth/email/verify'],
      ['GET', (v) => `/auth/email/verify?token=${encodeURIComponent(v)}`],
      ['GET', (v) => `/auth/oidc/start?return_to=${encodeURIComponent(v)}`],
      ['GET', (v) => `/auth/oidc/callback?state=${encodeURIComponent(v)}&code=${encodeURIComponent(v)}`],
      ['POST', () => '/v1/orgs'],
      ['GET', (v) => `/v1/orgs/${encodeURIComponent(v)}/members`],
      ['PATCH', (v) => `/v1/orgs/${hal.org}/members/${encodeURIComponent(v)}`],
      ['DELETE', (v) => `/v1/orgs/${hal.org}/members/${encodeURIComponent(v)}`],
      ['POST', () => `/v1/orgs/${hal.org}/invites`],
      ['DELETE', (v) => `/v1/orgs/${hal.org}/invites/${encodeURIComponent(v)}`],
      ['GET', (v) => `/v1/invites/${encodeURIComponent(v)}`],
      ['POST', (v) => `/v1/invites/${encodeURIComponent(v)}/accept`],
      ['GET', () => '/v1/keys'],
      ['GET', () => '/v1/billing/topups'],
    ];
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: routes.length - 1 }), hostile, fc.dictionary(fc.constantFrom('email', 'return_to', 'token', 'name', 'role', 'extra'), value), fc.option(hostile), async (i, v, body, orgHeader) => {
        const [method, path] = routes[i];
        const r = await hal.request(method, path(v), {
          ...(method === 'GET' || method === 'DELETE' ? {} : { body }),
          ...(orgHeader !== null ? { headers: { 'x-pipevideo-org': orgHeader.replace(/[^\x20-\x7e]/g, '?') } } : {}),
        });
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        if (r.status >= 500) throw new Error(`${method} ${path(v)} ${JSON.stringify(body).slice(0, 200)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        if (r.status >= 400) expect(typeof r.body?.error?.message).toBe('string');
      }),
      { numRuns: 300 },
    );
    expect([...seen.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    // Still signed in and able to work (nothing above ended the session or the org).
    expect((await hal.request('GET', '/auth/session')).status).toBe(200);
  });
});
