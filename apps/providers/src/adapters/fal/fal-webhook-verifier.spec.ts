import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderHttp } from '../common/provider-http';
import { FalWebhookVerifier } from './fal-webhook-verifier';

/** A JWKS endpoint we control: which keys it serves, and whether it is down. */
async function jwksServer() {
  const state = { keys: [] as KeyObject[], down: false, hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits++;
    if (state.down) {
      res.writeHead(503).end('{"detail":"down"}');
      return;
    }
    const keys = state.keys.map((k, i) => ({ ...(k.export({ format: 'jwk' }) as object), kid: `k${i}`, use: 'sig', alg: 'EdDSA' }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return { state, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function signed(privateKey: KeyObject, body: string, opts: { requestId?: string; userId?: string; ts?: number } = {}) {
  const requestId = opts.requestId ?? 'req-1';
  const userId = opts.userId ?? 'user-1';
  const ts = String(opts.ts ?? Math.floor(Date.now() / 1000));
  const msg = Buffer.from([requestId, userId, ts, createHash('sha256').update(body).digest('hex')].join('\n'));
  return {
    'x-fal-webhook-request-id': requestId,
    'x-fal-webhook-user-id': userId,
    'x-fal-webhook-timestamp': ts,
    'x-fal-webhook-signature': sign(null, msg, privateKey).toString('hex'),
  };
}

describe('fal webhook verification (ED25519 + JWKS)', () => {
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  const good = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const body = JSON.stringify({ request_id: 'req-1', status: 'OK', payload: {} });
  const verifier = (minRefreshIntervalMs = 0) =>
    new FalWebhookVerifier({ jwksUrl: jwks.url, http: new ProviderHttp('fal', 2000), toleranceSeconds: 300, jwksTtlMs: 86_400_000, minRefreshIntervalMs });

  beforeEach(async () => {
    jwks = await jwksServer();
    jwks.state.keys = [good.publicKey];
  });
  afterEach(() => jwks.close());

  it('accepts a correctly signed callback and caches the JWKS', async () => {
    const v = verifier();
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toEqual({ ok: true, requestId: 'req-1' });
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toEqual({ ok: true, requestId: 'req-1' });
    expect(jwks.state.hits).toBe(1);
  });

  it('refuses a forged body, a wrong key, missing headers and a garbled signature', async () => {
    const v = verifier(60_000);
    const headers = signed(good.privateKey, body);
    expect(await v.verify(headers, Buffer.from(body.replace('OK', 'ERROR')))).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await v.verify(signed(other.privateKey, body), Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await v.verify({ ...headers, 'x-fal-webhook-signature': undefined }, Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await v.verify({ ...headers, 'x-fal-webhook-signature': 'zz' }, Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
    // the request id is part of the signed message
    expect(await v.verify({ ...headers, 'x-fal-webhook-request-id': 'req-2' }, Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a timestamp more than 300 s away (replayed later / clock skew)', async () => {
    const v = verifier();
    const old = Math.floor(Date.now() / 1000) - 301;
    expect(await v.verify(signed(good.privateKey, body, { ts: old }), Buffer.from(body))).toMatchObject({ ok: false, reason: 'expired' });
    const future = Math.floor(Date.now() / 1000) + 400;
    expect(await v.verify(signed(good.privateKey, body, { ts: future }), Buffer.from(body))).toMatchObject({ ok: false, reason: 'expired' });
    expect(jwks.state.hits).toBe(0); // no key fetch for an expired message
  });

  it('JWKS down with nothing cached → keys_unavailable; with keys cached → still verifies', async () => {
    jwks.state.down = true;
    const v = verifier();
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: false, reason: 'keys_unavailable' });
    jwks.state.down = false;
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
    jwks.state.down = true;
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
  });

  it('picks up a rotated key: a failed verify refreshes the JWKS (rate-limited)', async () => {
    const v = verifier(60_000);
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
    jwks.state.keys = [other.publicKey];
    // first failure after the initial fetch: the refresh is still rate-limited → refused
    expect(await v.verify(signed(other.privateKey, body), Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
    const fresh = verifier(0);
    expect(await fresh.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
    jwks.state.keys = [good.publicKey, other.publicKey];
    expect(await fresh.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
  });

  it('refuses a genuine fal signature made for another fal account than FAL_USER_ID', async () => {
    const v = new FalWebhookVerifier({ jwksUrl: jwks.url, http: new ProviderHttp('fal', 2000), toleranceSeconds: 300, jwksTtlMs: 86_400_000, minRefreshIntervalMs: 0, expectedUserId: 'user-1' });
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toEqual({ ok: true, requestId: 'req-1' });
    const foreign = await v.verify(signed(good.privateKey, body, { userId: 'someone-else' }), Buffer.from(body));
    expect(foreign).toMatchObject({ ok: false, reason: 'wrong_account' });
    expect((foreign as { message: string }).message).toMatch(/signed for fal user "someone-else", not for the account the job ran on/);
    // A forged header is still a bad signature first (the user id is part of the signed message).
    expect(await v.verify({ ...signed(good.privateKey, body), 'x-fal-webhook-user-id': 'someone-else' }, Buffer.from(body))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('stops using cached keys past their maximum age when the JWKS cannot be refetched', async () => {
    let now = Date.now();
    const v = new FalWebhookVerifier({
      jwksUrl: jwks.url, http: new ProviderHttp('fal', 2000), toleranceSeconds: 1e9, jwksTtlMs: 60_000, jwksMaxAgeMs: 120_000, minRefreshIntervalMs: 0, now: () => now,
    });
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
    jwks.state.down = true;
    now += 90_000; // past the TTL: the refetch fails, the stale keys (90 s old) still serve
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
    now += 40_000; // 130 s old: too old to trust
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: false, reason: 'keys_unavailable' });
    jwks.state.down = false;
    expect(await v.verify(signed(good.privateKey, body), Buffer.from(body))).toMatchObject({ ok: true });
  });
});
