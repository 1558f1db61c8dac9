import { ProviderErrorKind } from '@pipevideo/contracts';
import { ProviderError, garbage } from '../provider-error';

/** One HTTP answer, read in full. `json` is undefined when the body is not JSON. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON. */
  body?: unknown;
}

/**
 * fetch with a hard timeout (connect + headers + body), turning network failures into
 * ProviderErrors: a timeout is `timeout`, anything else that never produced an HTTP answer
 * (connection refused, DNS, reset) is `down`. HTTP error statuses are returned, not thrown:
 * the adapter classifies them.
 */
export class ProviderHttp {
  constructor(
    readonly provider: string,
    private readonly timeoutMs: number,
  ) {}

  async send(operation: string, req: HttpRequest): Promise<HttpAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ProviderError(ProviderErrorKind.Timeout, `${this.provider} ${operation} timed out after ${this.timeoutMs} ms`);
      }
      const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
      throw new ProviderError(ProviderErrorKind.Down, `${this.provider} ${operation} failed: ${cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err)}`);
    }
  }

  /** The JSON object of a 2xx answer; anything else that came back as 2xx is garbage. */
  object(answer: HttpAnswer, operation: string): Record<string, unknown> {
    const j = answer.json;
    if (j === undefined) throw garbage(this.provider, operation, answer.text ? 'body is not JSON' : 'empty body');
    if (!j || typeof j !== 'object' || Array.isArray(j)) throw garbage(this.provider, operation, 'body is not a JSON object');
    return j as Record<string, unknown>;
  }
}

export const isOk = (a: HttpAnswer) => a.status >= 200 && a.status < 300;

/** Small readers for untrusted JSON. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Lower-cased single header value. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A URL the provider handed back (status/result/cancel URLs) is only followed when it is on the
 * provider's own origin: otherwise our API key would go wherever a tampered answer points.
 */
export function sameOrigin(candidate: unknown, base: string): string | undefined {
  const s = str(candidate);
  if (!s) return undefined;
  try {
    return new URL(s).origin === new URL(base).origin ? s : undefined;
  } catch {
    return undefined;
  }
}

export const trimSlash = (s: string) => s.replace(/\/+$/, '');
