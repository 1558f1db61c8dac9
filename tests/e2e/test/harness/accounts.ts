/**
 * A person in a browser, over plain HTTP: a cookie jar (Set-Cookie in, Cookie out, by name — every
 * server here is on 127.0.0.1 and cookies do not separate ports), manual redirects, the mail sandbox as
 * their inbox, and the session's CSRF token and selected org on every API call (as the dashboard sends them).
 */
import type { ContractClient } from './contract';
import type { Platform } from './platform';
import { http, HttpResult, waitFor } from './http';

export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface RawResult<T = any> extends HttpResult<T> {
  location: string | null;
}

export class Person {
  readonly jar = new CookieJar();
  csrf?: string;
  org?: string;
  /** When set, every answer of the gateway is validated against its served OpenAPI document. */
  contract?: ContractClient;
  constructor(
    readonly p: { baseUrl: string; mail: Pick<Platform['mail'], 'url'> },
    readonly email: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** One request with this browser's cookies; redirects are not followed (Location is returned). */
  async request<T = any>(method: string, pathOrUrl: string, o: { body?: unknown; headers?: Record<string, string>; form?: Record<string, string>; csrf?: boolean; org?: boolean } = {}): Promise<RawResult<T>> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.p.baseUrl}${pathOrUrl}`;
    const headers: Record<string, string> = { ...this.extraHeaders, ...(o.headers ?? {}) };
    if (this.jar.cookies.size) headers.cookie = this.jar.header();
    if (o.csrf !== false && this.csrf && method !== 'GET') headers['x-csrf-token'] ??= this.csrf;
    if (o.org !== false && this.org) headers['x-pipevideo-org'] ??= this.org;
    let body: string | undefined;
    if (o.form) {
      body = new URLSearchParams(o.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    this.jar.store(res);
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* HTML or text */
    }
    const result = { status: res.status, body: parsed, headers: res.headers, location: res.headers.get('location') };
    if (this.contract && url.startsWith(this.p.baseUrl)) this.contract.check(method, url.slice(this.p.baseUrl.length), result);
    return result;
  }

  /** Follows redirects from `url` (absolute or relative to the last URL) until a non-redirect answer. */
  async follow(url: string, max = 10): Promise<{ last: RawResult; url: string; hops: string[] }> {
    let current = url.startsWith('http') ? url : `${this.p.baseUrl}${url}`;
    const hops: string[] = [];
    for (let i = 0; i < max; i++) {
      hops.push(current);
      const r = await this.request('GET', current);
      if (!r.location || r.status < 300 || r.status >= 400) return { last: r, url: current, hops };
      current = new URL(r.location, current).href;
    }
    throw new Error(`too many redirects from ${url}: ${hops.join(' → ')}`);
  }

  /** The newest mail to this person whose subject matches, once it arrived. */
  async mail(subject: RegExp, after = 0) {
    return waitFor(`mail to ${this.email} matching ${subject}`, async () => {
      const r = await http('GET', `${this.p.mail.url}/messages?to=${encodeURIComponent(this.email)}`);
      return (r.body.data as any[]).find((m) => subject.test(m.subject) && m.received_at >= after && !this.seen.has(m.id));
    }, 15_000, 100).then((m) => {
      this.seen.add(m.id);
      return m;
    });
  }
  private readonly seen = new Set<string>();

  /** Signs in (or up) by email as a person would: asks for the link, opens it from the inbox. */
  async signInByEmail(returnTo?: string): Promise<RawResult> {
    const start = await this.request('POST', '/auth/email/start', { body: { email: this.email, ...(returnTo ? { return_to: returnTo } : {}) } });
    if (start.status !== 202) throw new Error(`email start: ${start.status} ${JSON.stringify(start.body)}`);
    const mail = await this.mail(/sign-in link/);
    const link = (mail.links as string[]).find((l) => l.includes('/auth/email/verify'))!;
    const r = await this.request('GET', link);
    await this.refresh();
    return r;
  }

  /** GET /auth/session: keeps the CSRF token (and the first org, if none is selected). */
  async refresh(): Promise<RawResult> {
    const s = await this.request('GET', '/auth/session');
    if (s.status === 200) {
      this.csrf = s.body.csrf_token;
      if (!this.org && s.body.orgs.length) this.org = s.body.orgs[0].id;
    }
    return s;
  }

  async createOrg(name: string): Promise<string> {
    const r = await this.request('POST', '/v1/orgs', { body: { name } });
    if (r.status !== 201) throw new Error(`create org: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }
}

/** A fresh address for a test (the sandbox keeps every mail it got). */
export const freshEmail = (who: string) => `${who}.${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}@example.com`;
