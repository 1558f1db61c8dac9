import { DomainError, ErrorCode, type RpcReply, type RpcSend, type RpcSubject } from '@pipevideo/contracts';
import { createObjectStorage, envInt, loadOutputStorageConfig, OutputLinks, type ObjectStorage, type ServiceContext } from '@pipevideo/platform';
import { GenerationWatch } from './push/generation-watch';
import { SseLimiter } from './push/sse-limiter';
import { OutputContent } from './outputs/output-content';
import { OutputMetrics } from './outputs/output-metrics';
import { KeyAuthenticator } from './auth/key-authenticator';
import { Accounts } from './accounts/accounts';
import { SessionPrincipals } from './accounts/session-principal';
import type { GatewayConfig } from './gateway.config';
import { AuditLog } from './audit/audit-log';
import { Downstream } from './downstream';
import { GatewayEdge } from './edge/edge';
import { GatewayMetrics } from './gateway.metrics';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { KeyLimitsView } from './orgs/key-limits';
import { OrgService } from './orgs/org.service';
import { RateLimiter } from './ratelimit/rate-limiter';
import { ProviderUrlContent, type VideoContentSource } from './videos/video-content';
import { RequestLimits } from './ratelimit/request-limits';

export const GATEWAY_COMPOSITION = Symbol('GATEWAY_COMPOSITION');

/** Everything the gateway's HTTP shell needs, built once from the service context. NestJS-free. */
export class GatewayComposition {
  readonly orgs: OrgService;
  readonly auth: KeyAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly limits: RequestLimits;
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly metrics: GatewayMetrics;
  readonly downstream: Downstream;
  readonly keyLimits: KeyLimitsView;
  /** Human accounts: sign-in, sessions, orgs for people, invitations. */
  readonly accounts: Accounts;
  /** Session-cookie authentication of the public API (the dashboard). */
  readonly sessionPrincipals: SessionPrincipals;
  /** Answers from memory: the public catalog, the OpenAPI document, polls (issue 19). */
  readonly edge: GatewayEdge;
  /** Where GET /v1/videos/{id}/content reads output files (the provider's URL until we store outputs). */
  readonly videoContent: VideoContentSource = new ProviderUrlContent();
  /** Where stored outputs live (docs/outputs.md); …/content streams from it, /v1/files serves the disk driver's links. */
  readonly storage: ObjectStorage;
  readonly outputMetrics: OutputMetrics;
  readonly outputs: OutputContent;
  /** Wakes SSE streams and long-polls on the router's generation.updated broadcasts (push/). */
  readonly watch: GenerationWatch;
  readonly sse: SseLimiter;
  readonly push = {
    /** A lost signal delays a push at most this long (the generation is read again without one). */
    recheckMs: envInt('PIPEVIDEO_PUSH_RECHECK_MS', 15_000),
    heartbeatMs: envInt('PIPEVIDEO_SSE_HEARTBEAT_MS', 15_000),
  };
  /** Filled in after the app starts (built from the live Nest app); served as-is: the customer document, without /admin. */
  readonly openapiDocument: Record<string, any> = {};
  /** The operator API's own document (`GET /admin/openapi.json`, operator token). */
  readonly operatorOpenapiDocument: Record<string, any> = {};

  /**
   * A create that the router may refuse at the org's cap on generations in flight (429 + retry_after):
   * the refusal is counted with the other rate-limit refusals.
   */
  async create<S extends RpcSubject>(subject: S, payload: RpcSend<S>): Promise<RpcReply<S>> {
    try {
      return await this.downstream.call(subject, payload);
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.TOO_MANY_REQUESTS) this.metrics.rateLimited.inc({ limit: 'concurrency' });
      throw err;
    }
  }

  constructor(
    readonly ctx: ServiceContext,
    readonly cfg: GatewayConfig,
  ) {
    this.orgs = new OrgService(ctx.ds, { defaultMaxKeys: cfg.defaultMaxKeysPerOrg });
    this.auth = new KeyAuthenticator(ctx.ds, {
      defaultRateLimitPerMinute: cfg.defaultRateLimitPerMinute,
      defaultOrgRateLimitPerMinute: cfg.defaultOrgRateLimitPerMinute,
      defaultMaxConcurrentGenerations: cfg.defaultMaxConcurrentGenerations,
      cacheTtlMs: cfg.keyCacheTtlMs,
    });
    this.audit = new AuditLog(ctx.ds);
    this.rateLimiter = new RateLimiter(ctx.ds);
    this.limits = new RequestLimits(this.rateLimiter, cfg.ipRateLimitPerMinute);
    this.idempotency = new IdempotencyStore(ctx.ds, cfg.idempotencyTtlSeconds);
    ctx.janitor.add(this.idempotency.retentionRule());
    this.metrics = new GatewayMetrics(ctx.metrics.registry);
    this.downstream = new Downstream(ctx.messaging.rpc, cfg.rpcTimeoutMs);
    this.keyLimits = new KeyLimitsView(this.downstream);
    this.accounts = new Accounts(ctx.ds, ctx.metrics.registry, this.orgs, cfg.accounts);
    this.sessionPrincipals = new SessionPrincipals(ctx.ds, this.accounts, {
      defaultRateLimitPerMinute: cfg.defaultRateLimitPerMinute,
      defaultOrgRateLimitPerMinute: cfg.defaultOrgRateLimitPerMinute,
      defaultMaxConcurrentGenerations: cfg.defaultMaxConcurrentGenerations,
    });
    const storageCfg = loadOutputStorageConfig();
    this.storage = createObjectStorage(storageCfg);
    this.outputMetrics = new OutputMetrics(ctx.metrics.registry);
    this.watch = new GenerationWatch(ctx.messaging.transport);
    this.watch.start();
    this.sse = new SseLimiter(envInt('PIPEVIDEO_SSE_MAX_PER_KEY', 20));
    this.outputs = new OutputContent(this.storage, new OutputLinks(this.storage, storageCfg.linkTtlSeconds), this.videoContent, this.outputMetrics);
    this.edge = new GatewayEdge(ctx.messaging.transport, this.downstream, ctx.metrics.registry, cfg);
  }
}
