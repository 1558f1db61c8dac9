import { parse, serialize } from 'cookie';

/**
 * Cookies are parsed and written with `cookie` (jshttp; what Express and @fastify/cookie use underneath —
 * v1, CommonJS: @fastify/cookie 11 loads the ESM-only v2 by a dynamic import that CommonJS jest cannot run).
 *
 * The session cookie: httpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs,
 * fetches or frames; sent when a person follows a link here), Path=/, Secure when the public URL is
 * https — and then named with the `__Host-` prefix, which browsers only accept from a secure origin,
 * for the whole host, without a Domain (no subdomain can plant or overwrite it).
 */
export class SessionCookies {
  readonly name: string;
  readonly oidcName: string;

  constructor(
    private readonly secure: boolean,
    private readonly maxAgeSeconds: number,
  ) {
    this.name = secure ? '__Host-pv_session' : 'pv_session';
    this.oidcName = secure ? '__Host-pv_oidc' : 'pv_oidc';
  }

  read(headers: Record<string, string | string[] | undefined>, name = this.name): string | undefined {
    const raw = headers.cookie;
    if (typeof raw !== 'string' || !raw) return undefined;
    return parse(raw)[name];
  }

  session(id: string): string {
    return serialize(this.name, id, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: this.maxAgeSeconds });
  }

  clearSession(): string {
    return serialize(this.name, '', { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 });
  }

  /** Binds an OIDC sign-in's state to this browser for 10 minutes. */
  oidcState(state: string): string {
    return serialize(this.oidcName, state, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 600 });
  }

  clearOidcState(): string {
    return serialize(this.oidcName, '', { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 });
  }
}
