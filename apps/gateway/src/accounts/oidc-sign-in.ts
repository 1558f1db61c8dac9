import type * as OidcClient from 'openid-client';
import type { DataSource } from 'typeorm';
import { ErrorCode } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import { ApiError } from '../errors/api-error';
import type { OidcSettings } from './accounts-config';
import type { AccountsMetrics } from './accounts-metrics';
import { normalEmail, safeReturnTo, sha256 } from './tokens';
import type { User, Users } from './users';

/**
 * openid-client is ESM-only; the gateway is CommonJS. A real dynamic import (TypeScript would turn
 * `import()` into `require`) loads it on first use, so nothing loads it unless OIDC is configured.
 */
const importEsm = new Function('m', 'return import(m)') as (m: string) => Promise<typeof OidcClient>;

/** How long a started OIDC sign-in may take to come back. */
const FLOW_TTL_SECONDS = 600;

/**
 * Sign-in with any OpenID Connect issuer (PIPEVIDEO_OIDC_ISSUER, discovery) through `openid-client`:
 * authorization code flow with PKCE (S256), `state` bound to the browser by a cookie and stored hashed
 * server-side (single use, 10 minutes), and `nonce` checked in the ID token. The person is found by the
 * issuer+subject, or linked by the issuer's verified email.
 */
export class OidcSignIn {
  private config?: Promise<OidcClient.Configuration>;
  private lib?: typeof OidcClient;

  constructor(
    private readonly ds: DataSource,
    private readonly users: Users,
    private readonly metrics: AccountsMetrics,
    private readonly settings: OidcSettings,
    private readonly redirectUri: () => string,
  ) {}

  get displayName(): string {
    return this.settings.displayName;
  }

  private async client(): Promise<{ lib: typeof OidcClient; config: OidcClient.Configuration }> {
    this.lib ??= await importEsm('openid-client');
    const lib = this.lib;
    // Discovery once per process; a failure is retried by the next sign-in.
    this.config ??= lib
      .discovery(new URL(this.settings.issuer), this.settings.clientId, this.settings.clientSecret || undefined, undefined, {
        // A local issuer (the sandbox, a dev IdP) speaks plain http; https issuers never need this.
        ...(this.settings.issuer.startsWith('http:') ? { execute: [lib.allowInsecureRequests] } : {}),
      })
      .catch((err) => {
        this.config = undefined;
        throw err;
      });
    try {
      return { lib, config: await this.config };
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err), issuer: this.settings.issuer }, 'OIDC discovery failed');
      throw new ApiError(ErrorCode.SERVICE_UNAVAILABLE, 'The sign-in provider cannot be reached right now. Retry shortly or sign in by email.');
    }
  }

  /** The issuer URL to send the browser to, and the state to bind to it with a cookie. */
  async start(returnTo: unknown): Promise<{ url: string; state: string }> {
    const { lib, config } = await this.client();
    const verifier = lib.randomPKCECodeVerifier();
    const state = lib.randomState();
    const nonce = lib.randomNonce();
    await this.ds.query(
      `INSERT INTO oidc_sign_ins (state_hash, code_verifier, nonce, return_to, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [sha256(state), verifier, nonce, safeReturnTo(returnTo) ?? null, FLOW_TTL_SECONDS],
    );
    await this.ds.query(`DELETE FROM oidc_sign_ins WHERE ctid IN (SELECT ctid FROM oidc_sign_ins WHERE expires_at < now() LIMIT 100)`);
    const url = lib.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(),
      scope: 'openid email',
      code_challenge: await lib.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * The issuer's answer (`callbackUrl`: the full URL it redirected to). `boundState` is the browser's
   * cookie: a callback from another browser (login CSRF) or a replay finds no flow.
   */
  async finish(callbackUrl: URL, boundState: string | undefined): Promise<{ user: User; returnTo?: string } | { error: string }> {
    const state = callbackUrl.searchParams.get('state');
    if (!state || !boundState || state !== boundState) return this.fail('state_mismatch');
    const r = await this.ds.query(`DELETE FROM oidc_sign_ins WHERE state_hash = $1 AND expires_at > now() RETURNING code_verifier, nonce, return_to`, [sha256(state)]);
    const flow = Array.isArray(r[0]) ? r[0][0] : r[0];
    if (!flow) return this.fail('unknown_state');
    if (callbackUrl.searchParams.get('error')) return this.fail('issuer_refused');
    const { lib, config } = await this.client();
    let claims: Record<string, unknown>;
    try {
      const tokens = await lib.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: flow.code_verifier, expectedState: state, expectedNonce: flow.nonce, idTokenExpected: true });
      claims = { ...(tokens.claims() ?? {}) };
      if (!claims.email && tokens.access_token) Object.assign(claims, await lib.fetchUserInfo(config, tokens.access_token, String(claims.sub)));
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'OIDC code exchange failed');
      return this.fail('exchange_failed');
    }
    const email = normalEmail(claims.email);
    if (!email || typeof claims.sub !== 'string') return this.fail('no_email');
    const user = await this.users.upsertByIdentity(this.settings.issuer, claims.sub, email, claims.email_verified === true);
    if (user === 'unverified_email') return this.fail('unverified_email');
    this.metrics.signIns.inc({ method: 'oidc', outcome: 'success' });
    return { user, returnTo: flow.return_to ?? undefined };
  }

  private fail(outcome: string): { error: string } {
    this.metrics.signIns.inc({ method: 'oidc', outcome });
    return { error: outcome };
  }
}
