import fastifyCookie from '@fastify/cookie';

/**
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
    return fastifyCookie.parse(raw)[name];
  }

  session(id: string): string {
    return fastifyCookie.serialize(this.name, id, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: this.maxAgeSeconds });
  }

  clearSession(): string {
    return fastifyCookie.serialize(this.name, '', { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 });
  }

  /** Binds an OIDC sign-in's state to this browser for 10 minutes. */
  oidcState(state: string): string {
    return fastifyCookie.serialize(this.oidcName, state, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 600 });
  }

  clearOidcState(): string {
    return fastifyCookie.serialize(this.oidcName, '', { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: 0 });
  }
}
