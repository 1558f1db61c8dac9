import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { checkOutboundUrl, isPrivateAddress, type UrlPolicy } from '@pipevideo/platform';

/** How an attempt ended, as a bounded label for metrics. */
export type AttemptKind = 'ok' | 'http_3xx' | 'http_4xx' | 'http_5xx' | 'timeout' | 'network' | 'refused' | 'aborted';

export interface SendResult {
  ok: boolean;
  kind: AttemptKind;
  statusCode: number | null;
  /** What went wrong, in words the org can act on (null on success). */
  error: string | null;
  latencyMs: number;
}

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Aborts the attempt (service shutdown); the result is then `aborted` and must not be recorded. */
  signal?: AbortSignal;
}

class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

const SNIPPET_BYTES = 256;

/**
 * POSTs webhook bodies. Keep-alive agents (one TCP/TLS connection serves many deliveries), one time
 * limit from connect to the last byte, redirects never followed (a 3xx is a failed attempt), and the
 * SSRF policy applied twice: `checkOutboundUrl` before each attempt, and again on the addresses the
 * connection actually uses (a DNS answer that changed since the check cannot sneak in).
 */
export class HttpSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly policy: UrlPolicy, private readonly timeoutMs: number, maxSocketsPerOrigin = 256) {
    const agentOptions = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: maxSocketsPerOrigin, maxFreeSockets: 64, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  async send(req: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const refusal = await checkOutboundUrl(req.url, this.policy);
    if (refusal) return { ok: false, kind: 'refused', statusCode: null, error: `URL refused: ${refusal}`, latencyMs: 0 };
    let result = await this.post(req, started);
    // A kept-alive socket the server closed just as we reused it: one immediate retry on a fresh socket.
    if (result.retryOnFreshSocket && !req.signal?.aborted) result = await this.post(req, performance.now());
    return result.result;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private post(req: SendRequest, started: number): Promise<{ result: SendResult; retryOnFreshSocket?: boolean }> {
    const url = new URL(req.url);
    const isHttps = url.protocol === 'https:';
    const body = Buffer.from(req.body, 'utf8');
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: Omit<SendResult, 'latencyMs'>, retryOnFreshSocket = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve({ result: { ...result, latencyMs: Math.round(performance.now() - started) }, retryOnFreshSocket });
      };
      const request = (isHttps ? https : http).request(
        url,
        {
          method: 'POST',
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          lookup: this.policy.allowPrivate ? undefined : (guardedLookup as any),
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            'content-length': String(body.length),
            'user-agent': 'Pipevideo-Webhooks/1.0',
          },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (c: Buffer) => {
            if (kept < SNIPPET_BYTES) {
              chunks.push(c);
              kept += c.length;
            }
          });
          res.on('end', () => finish(classifyStatus(status, Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'))));
          res.on('error', (err) => finish(networkFailure(err)));
        },
      );
      const timer = setTimeout(() => {
        finish({ ok: false, kind: 'timeout', statusCode: null, error: `no complete answer within ${this.timeoutMs} ms` });
        request.destroy();
      }, this.timeoutMs);
      const onAbort = () => {
        finish({ ok: false, kind: 'aborted', statusCode: null, error: 'aborted: the service was shutting down' });
        request.destroy();
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof RefusedAddressError) return finish({ ok: false, kind: 'refused', statusCode: null, error: `URL refused: ${err.message}` });
        finish(networkFailure(err), request.reusedSocket && err.code === 'ECONNRESET');
      });
      request.end(body);
    });
  }
}

function classifyStatus(status: number, snippet: string): Omit<SendResult, 'latencyMs'> {
  if (status >= 200 && status < 300) return { ok: true, kind: 'ok', statusCode: status, error: null };
  const kind: AttemptKind = status >= 500 ? 'http_5xx' : status >= 400 ? 'http_4xx' : 'http_3xx';
  const text = snippet.replace(/\s+/g, ' ').trim();
  const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : text ? `: ${text}` : '';
  return { ok: false, kind, statusCode: status, error: `HTTP ${status}${note}`.slice(0, 300) };
}

function networkFailure(err: NodeJS.ErrnoException): Omit<SendResult, 'latencyMs'> {
  const code = err.code ? ` (${err.code})` : '';
  return { ok: false, kind: 'network', statusCode: null, error: `${err.message || 'network error'}${code}`.slice(0, 300) };
}

/** dns.lookup that refuses private, loopback and link-local answers (used when they are not allowed). */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: (err: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err);
    const list = addresses as LookupAddress[];
    if (!list.length || list.some((a) => isPrivateAddress(a.address))) {
      return callback(new RefusedAddressError(`${hostname} resolves to a private, loopback or link-local address`));
    }
    if (options.all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}
