import type { ServiceContext } from '@pipevideo/platform';
import { KeyAuthenticator } from './auth/key-authenticator';
import type { GatewayConfig } from './config';
import { Downstream } from './downstream';
import { GatewayMetrics } from './http/gateway-metrics';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { KeyLimitsView } from './orgs/key-limits';
import { OrgService } from './orgs/org.service';
import { RateLimiter } from './ratelimit/rate-limiter';

export const GATEWAY_RUNTIME = Symbol('GATEWAY_RUNTIME');

/** Everything the gateway's HTTP shell needs, built once from the service context. NestJS-free. */
export class GatewayRuntime {
  readonly orgs: OrgService;
  readonly auth: KeyAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly metrics: GatewayMetrics;
  readonly downstream: Downstream;
  readonly keyLimits: KeyLimitsView;
  /** Filled in after the app starts (the document is built from the live Nest app); served as-is. */
  readonly openapiDocument: Record<string, any> = {};

  constructor(
    readonly ctx: ServiceContext,
    readonly cfg: GatewayConfig,
  ) {
    this.orgs = new OrgService(ctx.ds);
    this.auth = new KeyAuthenticator(ctx.ds, { defaultRateLimitPerMinute: cfg.defaultRateLimitPerMinute, cacheTtlMs: cfg.keyCacheTtlMs });
    this.rateLimiter = new RateLimiter(ctx.ds);
    this.idempotency = new IdempotencyStore(ctx.ds, cfg.idempotencyTtlSeconds);
    this.metrics = new GatewayMetrics(ctx.metrics.registry);
    this.downstream = new Downstream(ctx.messaging.rpc, cfg.rpcTimeoutMs);
    this.keyLimits = new KeyLimitsView(this.downstream);
  }
}
