/**
 * Issue 15, the backend of the dashboard's front door, over HTTP only against the whole platform:
 * email sign-up through the SMTP sandbox → create an org → create a key with the session → invite by
 * mail → the invitee signs up and accepts → switch orgs and see each org's own keys; roles; a
 * generation made with the session (attributed to the org's dashboard key); OIDC sign-in against the
 * oidc-provider sandbox, driven as a browser would (redirects, cookie jar, the issuer's form).
 */
import { http, waitFor } from './harness/http';
import { freshEmail, Person } from './harness/accounts';
import { ContractClient } from './harness/contract';
import { bootMicroservices, Platform } from './harness/platform';

jest.setTimeout(180_000);

describe('dashboard accounts: email sign-up, orgs, invites, org switching, OIDC', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (!skip) contract = await ContractClient.connect(p.baseUrl);
  });
  let contract: ContractClient;
  /** A person whose every answer from the gateway is validated against the served OpenAPI document (closed schemas). */
  const validated = (who: Person) => ((who.contract = contract), who);
  afterAll(async () => p?.stop());

  it('walks the Quickstart’s first steps as two people', async () => {
    if (skip) return;
    const ada = validated(new Person(p, freshEmail('ada')));
    // Not signed in: the session endpoint and the org API say so.
    expect((await ada.request('GET', '/auth/session')).status).toBe(401);
    expect((await ada.request('GET', '/v1/orgs')).status).toBe(401);

    const landed = await ada.signInByEmail('/keys');
    expect(landed.status).toBe(303);
    expect(landed.location).toBe('/keys');
    const session = await ada.refresh();
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ object: 'session', user: { email: ada.email }, orgs: [], method: 'email' });
    expect(session.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The cookie: httpOnly, SameSite=Lax, whole site.
    const cookieLine = (await ada.request('POST', '/auth/email/verify', { body: { token: 'x'.repeat(43) } })).headers.getSetCookie();
    expect(cookieLine).toEqual([]); // a bad token sets nothing

    const acme = await ada.createOrg('Acme');
    ada.org = acme;
    const orgs = await ada.request('GET', '/v1/orgs');
    expect(orgs.body).toMatchObject({ object: 'list', data: [{ id: acme, name: 'Acme', role: 'owner' }] });

    // Keys with the session: create (secret shown once), list with the spend limit, rotate, revoke.
    const key = await ada.request('POST', '/v1/keys', { body: { name: 'prod', limit_cents: 500, limit_reset: 'monthly' } });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^pv_/);
    const keys = await ada.request('GET', '/v1/keys');
    expect(keys.status).toBe(200);
    expect(keys.body.data).toHaveLength(1); // the org's internal dashboard key is never listed
    expect(keys.body.data[0]).toMatchObject({ id: key.body.id, name: 'prod', limit_cents: 500, limit_remaining_cents: 500 });
    expect(keys.body.data[0]).not.toHaveProperty('key');
    // The key works on the API as any key does.
    expect((await http('GET', `${p.baseUrl}/v1/billing/balance`, { key: key.body.key })).status).toBe(200);

    // Invite Grace as a member; the mail holds the join link.
    const grace = validated(new Person(p, freshEmail('grace')));
    const invite = await ada.request('POST', `/v1/orgs/${acme}/invites`, { body: { email: grace.email, role: 'member' } });
    expect(invite.status).toBe(201);
    expect(invite.body).toMatchObject({ object: 'org_invite', org_id: acme, email: grace.email, role: 'member', status: 'pending' });
    const inviteMail = await grace.mail(/invited to Acme/);
    const joinLink: string = inviteMail.links.find((l: string) => l.includes('/invites/'));
    const token = joinLink.split('/invites/')[1];

    // Grace signs up (her own org first), then accepts.
    await grace.signInByEmail(`/invites/${token}`);
    const graceOrg = await grace.createOrg('Grace Labs');
    grace.org = graceOrg;
    const graceKey = await grace.request('POST', '/v1/keys', { body: { name: 'grace-only' } });
    expect(graceKey.status).toBe(201);
    const preview = await grace.request('GET', `/v1/invites/${token}`);
    expect(preview.body).toMatchObject({ org_id: acme, org_name: 'Acme', role: 'member' });
    // Someone else signed in cannot use Grace's link.
    const mallory = new Person(p, freshEmail('mallory'));
    await mallory.signInByEmail();
    expect((await mallory.request('POST', `/v1/invites/${token}/accept`)).status).toBe(403);
    const accepted = await grace.request('POST', `/v1/invites/${token}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: acme, role: 'member' });
    // Single use.
    expect((await grace.request('POST', `/v1/invites/${token}/accept`)).status).toBe(404);

    // Switching orgs: the same session, another X-Pipevideo-Org, other keys.
    const mine = await grace.refresh();
    expect(mine.body.orgs.map((o: any) => [o.id, o.role]).sort()).toEqual([[acme, 'member'], [graceOrg, 'owner']].sort());
    const inGraceLabs = await grace.request('GET', '/v1/keys', { headers: { 'x-pipevideo-org': graceOrg } });
    const inAcme = await grace.request('GET', '/v1/keys', { headers: { 'x-pipevideo-org': acme } });
    expect(inGraceLabs.body.data.map((k: any) => k.name)).toEqual(['grace-only']);
    expect(inAcme.body.data.map((k: any) => k.name)).toEqual(['prod']);
    // Roles: a member reads but does not create keys, add funds or manage webhooks.
    const asMember = { headers: { 'x-pipevideo-org': acme } };
    expect((await grace.request('POST', '/v1/keys', { ...asMember, body: { name: 'nope' } })).status).toBe(403);
    expect((await grace.request('POST', '/v1/billing/checkout', { ...asMember, body: { amount_cents: 1000 } })).status).toBe(403);
    expect((await grace.request('POST', '/v1/webhooks', { ...asMember, body: { url: 'https://example.com/hook' } })).status).toBe(403);
    expect((await grace.request('GET', '/v1/billing/balance', asMember)).status).toBe(200);
    expect((await grace.request('GET', '/v1/webhooks', asMember)).status).toBe(200);
    expect((await grace.request('POST', `/v1/orgs/${acme}/invites`, { body: { email: 'x@example.com' } })).status).toBe(403);

    // Members: the owner sees both, promotes Grace to admin; now she creates keys in Acme.
    const members = await ada.request('GET', `/v1/orgs/${acme}/members`);
    expect(members.body.data.map((m: any) => [m.email, m.role]).sort()).toEqual([[ada.email, 'owner'], [grace.email, 'member']].sort());
    const graceId = members.body.data.find((m: any) => m.email === grace.email).user_id;
    expect((await grace.request('PATCH', `/v1/orgs/${acme}/members/${graceId}`, { body: { role: 'owner' } })).status).toBe(403);
    expect((await ada.request('PATCH', `/v1/orgs/${acme}/members/${graceId}`, { body: { role: 'admin' } })).body.role).toBe('admin');
    // Owners invite owners; an admin cannot.
    expect((await grace.request('POST', `/v1/orgs/${acme}/invites`, { body: { email: 'cofounder@example.com', role: 'owner' } })).status).toBe(403);
    const ownerInvite = await ada.request('POST', `/v1/orgs/${acme}/invites`, { body: { email: 'cofounder@example.com', role: 'owner' } });
    expect(ownerInvite.status).toBe(201);
    expect(ownerInvite.body).toMatchObject({ role: 'owner', status: 'pending' });
    expect((await grace.request('POST', '/v1/keys', { ...asMember, body: { name: 'by-grace' } })).status).toBe(201);
    // The last owner cannot leave; Grace can.
    expect((await ada.request('POST', `/v1/orgs/${acme}/leave`)).status).toBe(409);
    expect((await grace.request('POST', `/v1/orgs/${acme}/leave`)).status).toBe(200);
    expect((await grace.request('GET', '/v1/keys', { headers: { 'x-pipevideo-org': acme } })).status).toBe(403);

    // The operator API keeps working on these orgs.
    const adminOrg = await http('GET', `${p.baseUrl}/admin/orgs/${acme}`, { headers: { authorization: `Bearer ${p.adminToken}` } });
    expect(adminOrg.status).toBe(200);
    expect(adminOrg.body.name).toBe('Acme');

    // Sign out: the cookie stops working; sign out everywhere ends every session.
    const second = new Person(p, ada.email);
    await second.signInByEmail();
    expect((await ada.request('POST', '/auth/signout-everywhere')).body).toMatchObject({ object: 'signed_out', sessions_ended: 2 });
    expect((await ada.request('GET', '/auth/session')).status).toBe(401);
    expect((await second.request('GET', '/auth/session')).status).toBe(401);
    const g2 = await grace.request('POST', '/auth/signout');
    expect(g2.status).toBe(200);
    expect((await grace.request('GET', '/auth/session')).status).toBe(401);
  });

  it('makes a video with the session: attributed to the org’s dashboard key, charged to the org', async () => {
    if (skip) return;
    const lin = validated(new Person(p, freshEmail('lin')));
    await lin.signInByEmail();
    lin.org = await lin.createOrg('Playground Co');
    const credit = await http('POST', `${p.baseUrl}/admin/orgs/${lin.org}/credits`, { headers: { authorization: `Bearer ${p.adminToken}` }, body: { amount_cents: 2000 } });
    expect(credit.status).toBeLessThan(300);
    const models = await lin.request('GET', '/v1/models');
    expect(models.status).toBe(200);
    const created = await lin.request('POST', '/v1/video/generations', { body: { model: 'google/veo-3.1', prompt: 'A lighthouse at dawn', duration: 4 } });
    expect(created.status).toBe(200);
    const done = await waitFor('the session-made generation to finish', async () => {
      const g = await lin.request('GET', `/v1/video/generations/${created.body.id}`);
      return g.body.status === 'completed' || g.body.status === 'failed' ? g.body : undefined;
    }, 60_000);
    expect(done.status).toBe('completed');
    const usage = await waitFor('the usage row', async () => {
      const u = await lin.request('GET', '/v1/usage');
      return (u.body.data as any[]).find((r) => r.generation_id === created.body.id || r.id === created.body.id);
    });
    expect(usage).toBeDefined();
    const balance = await lin.request('GET', '/v1/billing/balance');
    expect(balance.body.balance_cents).toBe(2000 - done.cost_cents);
  });

  it('signs in with the OIDC sandbox issuer (code flow + PKCE, state bound to the browser)', async () => {
    if (skip) return;
    const methods = await http('GET', `${p.baseUrl}/auth/methods`);
    expect(methods.body).toEqual({ object: 'sign_in_methods', email: true, oidc: { name: 'Sandbox OIDC', start_url: '/auth/oidc/start' } });
    const kim = validated(new Person(p, freshEmail('kim')));
    const { start, callbackUrl, landed } = await oidcSignIn(kim, kim.email, '/usage');
    const authorize = new URL(start.location!);
    expect(authorize.origin).toBe(p.oidc.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const next = callbackUrl;
    expect(landed).toBe('/usage');
    const s = await kim.refresh();
    expect(s.body).toMatchObject({ user: { email: kim.email }, method: 'oidc' });

    // A callback replayed, or coming from another browser (no state cookie), signs nobody in.
    const other = new Person(p, freshEmail('eve'));
    const replay = await other.request('GET', next);
    expect(replay.status).toBe(303);
    expect(replay.location).toMatch(/^\/signin\?error=/);
    expect((await other.request('GET', '/auth/session')).status).toBe(401);
    const metrics = await http('GET', `${p.baseUrl}/metrics`);
    expect(metrics.body).toMatch(/pipevideo_auth_sign_ins_total\{method="oidc",outcome="success",service="gateway"\} [1-9]/);
    expect(metrics.body).toMatch(/pipevideo_auth_sign_ins_total\{method="email",outcome="success",service="gateway"\} [1-9]/);
    expect(metrics.body).toMatch(/pipevideo_auth_emails_total\{kind="sign_in",outcome="sent",service="gateway"\} [1-9]/);
    expect(metrics.body).toMatch(/pipevideo_auth_sessions_active\{service="gateway"\} [1-9]/);
  });

  it('OIDC: an unverified email at the issuer is not linked to the account with that address', async () => {
    if (skip) return;
    const owner = new Person(p, freshEmail('owner'));
    await owner.signInByEmail();
    const impostor = new Person(p, owner.email);
    const { landed } = await oidcSignIn(impostor, `unverified:${owner.email}`, '/keys');
    expect(landed).toBe('/signin?error=unverified_email');
    expect((await impostor.request('GET', '/auth/session')).status).toBe(401);
  });

  /** Drives the OIDC code flow as a browser: start → issuer's form (signs in as `loginAs`) → our callback. */
  async function oidcSignIn(who: Person, loginAs: string, returnTo: string) {
    const start = await who.request('GET', `/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(302);
    const page = await who.follow(start.location!);
    expect(page.last.status).toBe(200);
    const action = /action="([^"]+)"/.exec(page.last.body)![1];
    const submitted = await who.request('POST', new URL(action, page.url).href, { form: { email: loginAs } });
    expect(submitted.status).toBeGreaterThanOrEqual(300);
    // Issuer → resume → our callback → returnTo.
    let next = new URL(submitted.location!, page.url).href;
    let landed: string | undefined;
    for (let i = 0; i < 6 && !landed; i++) {
      const r = await who.request('GET', next);
      if (next.startsWith(`${p.baseUrl}/auth/oidc/callback`)) {
        expect(r.status).toBe(303);
        landed = r.location!;
      } else next = new URL(r.location!, next).href;
    }
    return { start, callbackUrl: next, landed };
  }
});
