import { Counter, Registry } from 'prom-client';

/** The gateway's own metric families (HTTP latency comes from the platform). Labels stay bounded: route templates, never ids. */
export class GatewayMetrics {
  readonly requests: Counter<'route' | 'status_code'>;
  readonly rateLimited: Counter<'limit'>;
  readonly authFailures: Counter<'reason'>;
  readonly idempotentReplays: Counter;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'pipevideo_gateway_requests_total',
      help: 'HTTP requests answered by the gateway, by route template and status code',
      labelNames: ['route', 'status_code'],
      registers: [registry],
    });
    this.rateLimited = new Counter({
      name: 'pipevideo_gateway_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit: limit = key, org (sum over its keys), ip (requests without a valid key) or concurrency (generations in flight)',
      labelNames: ['limit'],
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: 'pipevideo_gateway_auth_failures_total',
      help: 'Refused authentications by reason (missing, malformed, unknown, revoked, expired, suspended, wrong_kind, operator)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.idempotentReplays = new Counter({ name: 'pipevideo_gateway_idempotent_replays_total', help: 'POSTs answered from a stored Idempotency-Key result', registers: [registry] });
  }
}
