import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { CORRELATION_HEADER, isConnectivityError, logger, logHttpRequest } from '@pipevideo/platform';
import type { Counter, Histogram } from 'prom-client';
import { notModified, type StaticAnswer, type StaticAnswers, variantFor } from '../edge/static-answers';
import type { RateDecision } from '../ratelimit/rate-limiter';
import type { RequestLimits } from '../ratelimit/request-limits';
import { correlationIdFor } from './correlation';

export interface StaticListenerDeps {
  answers: StaticAnswers;
  limits: RequestLimits;
  metrics: {
    /** pipevideo_gateway_static_answers_total */
    served: Counter<'route' | 'result'>;
    /** pipevideo_gateway_requests_total, which every request counts in */
    requests: Counter<'route' | 'status_code'>;
    /** pipevideo_http_request_duration_seconds, which every request counts in */
    duration: Histogram<'method' | 'route' | 'status_code'>;
  };
  /** Fastify's `trustProxy` (the platform's `trustedProxies()`): whose X-Forwarded-For is believed. */
  trustedProxies: string[] | false;
}

/** One route's and status's counters, bound once (no label hashing per request). */
interface Bound {
  served: { inc(): void };
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * Puts the answers from memory (`/v1/models`, `/v1/engines`, `/openapi.json`: `edge/static-answers.ts`)
 * in front of the HTTP server's request listeners, so they skip Fastify altogether: no routing, no
 * request/reply objects, none of the five onRequest hooks Nest's adapter and middie add before ours,
 * no onSend/onResponse hooks. GET and HEAD (the same answer without its body). The answer counts itself
 * in the same metrics (bound once per method, route and status) and writes the same request log line.
 * Every other request, and a static one passed on (another method, not loaded yet, or refused by the
 * client IP's rate limit: the guard then answers the 429 in our error shape), goes to the listeners as
 * before (the URL guard, then Fastify). Install after `installUrlGuard`, so this one runs first.
 */
export function installStaticListener(server: Server, deps: StaticListenerDeps): void {
  const listener = new StaticListener(deps);
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    listener.serve(req, res, () => {
      for (const l of listeners) l.call(server, req, res);
    });
  });
}

export class StaticListener {
  private readonly bound = new Map<string, Bound>();
  /** Fastify's `req.ip`, computed the same way: the socket's address, or the last untrusted X-Forwarded-For hop. */
  private readonly clientIp: (req: IncomingMessage) => string;

  constructor(private readonly deps: StaticListenerDeps) {
    const trust = deps.trustedProxies ? proxyAddr.compile(deps.trustedProxies) : undefined;
    this.clientIp = trust ? (req) => proxyAddr(req, trust) : (req) => req.socket.remoteAddress ?? 'unknown';
  }

  /**
   * Answers a GET or HEAD of a static route after the client IP's rate limit (as the public routes'
   * guard does), in the best content coding the client accepts, with ETag/Cache-Control/Vary, 304 on a
   * matching If-None-Match; else calls `pass`. No promise at all when this replica holds a token of the
   * IP's bucket (the common case).
   */
  serve(req: IncomingMessage, res: ServerResponse, pass: () => void): void {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return pass();
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const route = q < 0 ? url : url.slice(0, q);
    const answer = this.deps.answers.get(route);
    if (!answer) return pass();
    const started = performance.now();
    const ip = this.clientIp(req);
    const now = this.deps.limits.forIpNow(ip);
    if (now) return now.allowed ? this.answer(req, res, method, route, answer, now, started) : pass();
    // The catalog stays readable while the gateway's database is not: no decision, no limit (as the guard).
    this.deps.limits.forIp(ip).then(
      (rate) => (rate.allowed ? this.answer(req, res, method, route, answer, rate, started) : pass()),
      (err) => (isConnectivityError(err) ? this.answer(req, res, method, route, answer, null, started) : pass()),
    );
  }

  /** A HEAD gets exactly the GET's status and headers (Content-Length and Content-Encoding of the representation a GET would get), without the body. */
  private answer(req: IncomingMessage, res: ServerResponse, method: 'GET' | 'HEAD', route: string, answer: StaticAnswer, rate: RateDecision | null, started: number): void {
    const v = variantFor(answer, req.headers['accept-encoding']);
    const correlationId = correlationIdFor(req.headers[CORRELATION_HEADER]);
    const fresh = notModified(req.headers['if-none-match'], v.etag);
    const status = fresh ? 304 : 200;
    const headers = (fresh ? v.notModifiedHeaders : v.headers).concat('X-Correlation-Id', correlationId);
    if (rate) headers.push('X-RateLimit-Limit', String(rate.limit), 'X-RateLimit-Remaining', String(rate.remaining), 'X-RateLimit-Reset', String(rate.resetAt));
    res.writeHead(status, headers);
    if (fresh || method === 'HEAD') res.end();
    else res.end(v.body);
    const ms = performance.now() - started;
    const c = this.boundFor(method, route, status);
    c.served.inc();
    c.requests.inc();
    c.duration.observe(ms / 1000);
    if (logger.isLevelEnabled('info')) logHttpRequest({ method, route, status, latencyMs: ms, correlationId });
  }

  private boundFor(method: 'GET' | 'HEAD', route: string, status: 200 | 304): Bound {
    const key = `${method} ${status} ${route}`;
    let c = this.bound.get(key);
    if (!c) {
      const status_code = String(status);
      const { served, requests, duration } = this.deps.metrics;
      c = {
        served: served.labels({ route, result: status === 304 ? 'not_modified' : 'ok' }),
        requests: requests.labels({ route, status_code }),
        duration: duration.labels({ method, route, status_code }),
      };
      this.bound.set(key, c);
    }
    return c;
  }
}
