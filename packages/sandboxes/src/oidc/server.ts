import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcIssuerOptions {
  host?: string;
  port?: number;
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs the client may use (the gateway's /auth/oidc/callback). */
  redirectUris: string[];
}

/** oidc-provider is ESM-only; this package is CommonJS: a real dynamic import loads it. */
const importEsm = new Function('m', 'return import(m)') as (m: string) => Promise<any>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * A local OpenID Connect issuer built on `oidc-provider` (a certified OP implementation): discovery,
 * authorization code + PKCE, signed ID tokens, userinfo. Its one page is a sign-in form that takes any
 * email (the account is that address, email_verified true; prefix it with "unverified:" to get
 * email_verified false). Consent is implied (a first-party client).
 */
export async function startOidcIssuer(o: OidcIssuerOptions): Promise<{ issuer: string; close(): Promise<void> }> {
  const { default: Provider } = await importEsm('oidc-provider');
  const host = o.host ?? '127.0.0.1';
  // Listen first: the issuer URL must carry the real port.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'sandbox', use: 'sig', alg: 'RS256' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: o.clientId,
        client_secret: o.clientSecret,
        redirect_uris: o.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    async findAccount(_ctx: unknown, id: string) {
      const unverified = id.startsWith('unverified:');
      const email = unverified ? id.slice('unverified:'.length) : id;
      return { accountId: id, claims: async () => ({ sub: id, email, email_verified: !unverified }) };
    },
    // First-party client: the grant is implied, no consent screen.
    async loadExistingGrant(ctx: any) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec((req.url ?? '').split('?')[0]);
    if (!m) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST') {
        const email = (await readForm(req)).get('email')?.trim();
        if (!email) throw new Error('email is required');
        return await provider.interactionFinished(req, res, { login: { accountId: email } }, { mergeWithLastSubmission: false });
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html><head><title>Sandbox sign-in</title></head><body><main><h1>OIDC sandbox</h1><p>Sign in to ${escapeHtml(String(details.params.client_id))} as any email address.</p>` +
          `<form method="post" action="/interaction/${escapeHtml(m[1])}"><label>Email <input name="email" type="email" required autofocus></label> <button type="submit">Sign in</button></form></main></body></html>`,
      );
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  // Keep-alive connections would hold the port (and a restarting platform's new issuer) for their timeout.
  return { issuer, close: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())) };
}
