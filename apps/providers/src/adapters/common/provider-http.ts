import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import { ProviderErrorKind } from '@pipevideo/contracts';
import { ProviderError, garbage } from '../provider-error';

/** One HTTP answer, read in full. `json` is undefined when the body is not JSON. */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
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
 * An HTTP call with a hard timeout (connect + headers + body), turning network failures into
 * ProviderErrors: a timeout is `timeout`, anything else that never produced an HTTP answer
 * (connection refused, DNS, reset, a redirect: never followed, the target is not ours to choose) is
 * `down`. HTTP error statuses are returned, not thrown: the adapter classifies them.
 *
 * Decision: undici's `request`, not the global `fetch` (the same client underneath): fetch wraps every
 * answer in WHATWG streams and Headers, which cost the providers service as much CPU as the rest of a
 * submit (profiled under `pnpm bench gateway`, docs/benchmarks.md).
 */
export class ProviderHttp {
  constructor(
    readonly provider: string,
    private readonly timeoutMs: number,
  ) {}

  async send(operation: string, req: HttpRequest): Promise<HttpAnswer> {
    const headers: Record<string, string> = { accept: 'application/json', ...(req.headers ?? {}) };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let answerHeaders: IncomingHttpHeaders;
    let text: string;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal,
      });
      status = res.statusCode;
      answerHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      if (signal.aborted) throw new ProviderError(ProviderErrorKind.Timeout, `${this.provider} ${operation} timed out after ${this.timeoutMs} ms`);
      const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      throw new ProviderError(ProviderErrorKind.Down, `${this.provider} ${operation} failed: ${e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err)}`);
    }
    if (status >= 300 && status < 400) throw new ProviderError(ProviderErrorKind.Down, `${this.provider} ${operation} failed: redirected (${status}), not followed`);
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status, headers: answerHeaders, text, json };
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
