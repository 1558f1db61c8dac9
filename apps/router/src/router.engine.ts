import { Counter, Histogram, Gauge } from 'prom-client';
import {
  BROADCASTS, CreateGenerationMsg, decodeCursor, DomainError, ErrorCode, EVENTS, type KeyLimit, notFound, pageOf, ProviderJobFinishedEvt, ProviderJobUsageEvt, ProviderSlug, RPC, SubmitJobResult,
} from '@pipevideo/contracts';
import { logger, ServiceContext } from '@pipevideo/platform';
import { BreakerRegistry } from './breakers/breaker-registry';
import { registerBreakerStateGauge, registerBreakerTransitionCounter } from './breakers/metrics';
import { SharedBreakers } from './breakers/shared-breakers';
import { RouteHealth } from './health/route-health';
import { registerRouteHealthMetrics } from './health/metrics';
import { Catalog, defaultCatalog } from './catalog/catalog';
import { getPublicModel, listPublicEngines, listPublicModels } from './catalog/public-view';
import { tokenCost } from './routing/pricing';
import { CompletionHandler } from './generations/completion.handler';
import { createGeneration, CreatePorts } from './generations/create-generation';
import { idempotentCreate } from './generations/idempotent-create';
import { admit } from './generations/admit';
import { Dispatcher, isOurSideFailure, type Reserved } from './generations/dispatcher';
import { GenerationStore, newLeaseOwner } from './generations/generation.store';
import type { CandidateSnapshot, GenerationRow } from './generations/generation.types';
import { Sweeper } from './generations/sweeper';
import { GenerationAnnouncer } from './generations/generation-updates';
import { responseView, videoGenerationView } from './generations/views';
import { Rankings } from './rankings/rankings';
import { cancelResponse } from './responses/cancel-response';
import { createResponse, ResponseRequest } from './responses/create-response';
import { unreportedUsageTokens } from './responses/token-hold';
import { VideosFace } from './videos/videos-face';
import type { RouterConfig } from './router.config';

/** The shared bucket of route health windows (`stats.<route>`) and breaker decisions (`breaker.<route>`). */
export const ROUTE_HEALTH_BUCKET = 'route_health';

/** The router's use cases wired to billing, providers, breakers and metrics. NestJS-free. */
export class RouterEngine {
  readonly store: GenerationStore;
  readonly breakers: BreakerRegistry;
  /** Measured route health, shared by all replicas (see health/). */
  readonly health: RouteHealth;
  private sharedBreakers?: SharedBreakers;
  readonly dispatcher: Dispatcher;
  readonly completion: CompletionHandler;
  readonly sweeper: Sweeper;
  /** `/v1/videos` (OpenAI's Videos API) over the same generations. */
  readonly videos: VideosFace;
  readonly apps: Rankings;
  private readonly owner = newLeaseOwner();
  private readonly fallbacks: Counter<'reason'>;
  private readonly selection: Histogram;
  private readonly replays: Counter<'api'>;
  private readonly unreportedUsage: Counter<'provider'>;
  private readonly inflight = new Set<Promise<void>>();
  private readonly dispatchRefused: Counter;
  private creating = 0;
  /** `generation.updated.<org>` broadcasts after each committed visible change (the gateway's poll view, status streams). */
  private readonly updates: GenerationAnnouncer;

  constructor(
    private readonly ctx: ServiceContext,
    readonly cfg: RouterConfig,
    readonly catalog: Catalog = defaultCatalog(),
  ) {
    this.store = new GenerationStore(ctx.ds);
    this.apps = new Rankings(ctx.ds, cfg.rankingsMinGenerations);
    if (!Number.isSafeInteger(cfg.responsesMaxOutputTokens) || cfg.responsesMaxOutputTokens < 1)
      throw new Error(`PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS must be a positive integer (got ${cfg.responsesMaxOutputTokens})`);
    if (cfg.dispatchLeaseMs <= cfg.breaker.timeoutMs)
      logger.warn({ dispatchLeaseMs: cfg.dispatchLeaseMs, submitTimeoutMs: cfg.breaker.timeoutMs }, 'dispatch lease shorter than the submit timeout: a slow submit may be taken over and cancelled');
    const reg = ctx.metrics.registry;
    this.replays = new Counter({
      name: 'pipevideo_idempotent_create_replays_total',
      help: 'Creates answered with the generation their Idempotency-Key made before (a retry the gateway could not answer itself), by API',
      labelNames: ['api'],
      registers: [reg],
    });
    this.unreportedUsage = new Counter({
      name: 'pipevideo_responses_unreported_usage_total',
      help: 'Responses jobs that completed without any usage report and were charged by the no-usage rule (estimated input + output cap), by provider',
      labelNames: ['provider'],
      registers: [reg],
    });
    this.fallbacks = new Counter({ name: 'pipevideo_route_fallbacks_total', help: 'Moves to the next route or model, by reason', labelNames: ['reason'], registers: [reg] });
    this.selection = new Histogram({
      name: 'pipevideo_route_selection_duration_seconds',
      help: 'Time to resolve the candidate routes of a request',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
      registers: [reg],
    });
    // Costs that do not grow with history: the gauge counts only generations in flight (the in-flight
    // partial index), finished ones are a counter incremented where they finish.
    const modelLabel = (model: string) => (this.catalog.getModel(model) || this.catalog.getOrchestrationModel(model) ? model : 'other');
    const byStatus = new Gauge({
      name: 'pipevideo_generations',
      help: 'Generations in flight (pending, processing) by status, provider and model (from the database); finished ones: pipevideo_generations_finished_total',
      labelNames: ['api', 'status', 'provider', 'model'],
      registers: [reg],
    });
    const finished = new Counter({
      name: 'pipevideo_generations_finished_total',
      help: 'Generations this router replica moved to a final status (completed, failed, cancelled, incomplete), by provider and model',
      labelNames: ['api', 'status', 'provider', 'model'],
      registers: [reg],
    });
    this.store.onFinished = (g) => finished.inc({ api: g.api, status: g.status, provider: g.provider ?? 'none', model: modelLabel(g.model ?? g.requested_model) });
    const stuck = new Gauge({ name: 'pipevideo_generations_overdue', help: 'Processing generations past their deadline (should drain to 0)', registers: [reg] });
    ctx.metrics.collectors.push(async () => {
      const rows = await ctx.ds.query(
        `SELECT api, status, coalesce(provider, 'none') AS provider, coalesce(model, requested_model) AS model, count(*)::int AS n,
                count(*) FILTER (WHERE status = 'processing' AND deadline_at < now() - interval '30 seconds')::int AS overdue
           FROM generations WHERE status IN ('pending', 'processing') GROUP BY 1, 2, 3, 4`,
      );
      byStatus.reset();
      let overdue = 0;
      for (const r of rows) {
        byStatus.inc({ api: r.api, status: r.status, provider: r.provider, model: modelLabel(r.model) }, r.n);
        overdue += r.overdue;
      }
      stuck.set(overdue);
    });
    const breakerTransition = registerBreakerTransitionCounter(reg);
    // No breaker timeout of its own: the submit call's own timeout (the same value) ends a slow submit,
    // as our failure, which the breaker does not count (isOurSideFailure).
    this.breakers = new BreakerRegistry({ ...cfg.breaker, timeoutMs: false }, {
      onStateChange: (routeId, state, previous, origin) => {
        logger.warn({ routeId, state, previous, origin }, 'circuit breaker state changed');
        breakerTransition(routeId, state, origin);
        this.sharedBreakers?.onStateChange(routeId, state, origin);
      },
    });
    registerBreakerStateGauge(this.breakers, reg);
    this.health = new RouteHealth(cfg.health);
    const healthMetrics = registerRouteHealthMetrics(this.health, reg);
    const observe = (routeId: string, o: { ok: true; completionMs: number } | { ok: false; kind: string }) => {
      this.health.observe(routeId, o);
      healthMetrics.outcome(routeId, o.ok, o.ok ? undefined : o.kind);
    };

    const ourSide = new Counter({
      name: 'pipevideo_dispatch_our_side_failures_total',
      help: 'Submits that failed on our side (providers service unreachable or too slow), by route and outcome: retried on the same route, or gave_up (fell back after the retry window); never counted against the route',
      labelNames: ['route', 'outcome'],
      registers: [reg],
    });
    this.dispatchRefused = new Counter({ name: 'pipevideo_dispatch_queue_refusals_total', help: 'Creates refused with 503 because this router replica\'s dispatch queue was full (backpressure)', registers: [reg] });
    const depth = () => this.queueDepth();
    new Gauge({ name: 'pipevideo_dispatch_queue_depth', help: 'Generations this router replica is admitting, dispatching, or holding for a retry (bounded by PIPEVIDEO_DISPATCH_QUEUE_MAX)', registers: [reg], collect() { this.set(depth()); } });
    const rpc = ctx.messaging.rpc;
    this.dispatcher = new Dispatcher(
      this.store,
      {
        placeHold: async (g, holdId, amountCents) => {
          try {
            await rpc.request(RPC.billing.holdPlace, { orgId: g.org_id, holdId, amountCents, generationId: g.id, ...keyOfHold(g) });
            return { ok: true };
          } catch (err) {
            if (err instanceof DomainError && err.code === ErrorCode.BAD_REQUEST) {
              const keyLimit = (err.details as { reason?: string } | undefined)?.reason === 'key_limit';
              return { ok: false, message: err.message, reason: keyLimit ? 'key_limit' : 'insufficient_balance', details: err.details };
            }
            throw err;
          }
        },
        submit: (msg) => rpc.request<SubmitJobResult>(RPC.providers.jobSubmit, msg as any, { timeoutMs: cfg.breaker.timeoutMs }),
        cancel: async (generationId, attempt) => {
          await rpc.request(RPC.providers.jobCancel, { generationId, attempt });
        },
        breakerIsOpen: (routeId) => this.breakers.isOpen(routeId),
        // Our own failures (the providers service unreachable or slow: our overload) say nothing about the route.
        throughBreaker: (routeId, fn) => this.breakers.run(routeId, fn, (r: any) => (r instanceof Error && !isOurSideFailure(r)) || (r && r.ok === false && r.retryable === true)),
        onOurSideFailure: (routeId, outcome) => ourSide.inc({ route: routeId, outcome }),
        onFallback: (reason) => this.fallbacks.inc({ reason }),
        onRouteFailure: (routeId, kind) => observe(routeId, { ok: false, kind }),
        params: (g, c) => providerParams(g, c, cfg.responsesMaxOutputTokens),
      },
      {
        leaseMs: cfg.dispatchLeaseMs, callbackTimeoutMs: cfg.callbackTimeoutMs, pollTimeoutMs: cfg.pollTimeoutMs,
        retryBackoffMs: cfg.dispatchRetryBackoffMs, retryWindowMs: cfg.dispatchRetryWindowMs,
      },
      this.owner,
    );
    this.completion = new CompletionHandler(ctx.ds, this.store, {
      redispatch: (id) => this.kick(id),
      onFallback: (reason) => this.fallbacks.inc({ reason }),
      chargeTokens: async (g, inputTokens, outputTokens) => {
        const model = this.catalog.getOrchestrationModel(g.requested_model);
        const cost = model ? tokenCost(model.pricing, inputTokens, outputTokens) : { costCents: 0, costUsd: 0 };
        // The full cost, whatever the hold was: billing captures the hold and takes the rest from the balance.
        await rpc.request(RPC.billing.tokenCharge, { orgId: g.org_id, responseId: g.id, holdId: g.hold_id, amountCents: cost.costCents, inputTokens, outputTokens, model: g.requested_model });
        return cost;
      },
      unreportedUsage: (g) => unreportedUsageTokens(g.request as ResponseRequest, this.cfg.responsesMaxOutputTokens),
      onUnreportedUsage: (g) => {
        this.unreportedUsage.inc({ provider: g.provider ?? 'none' });
        logger.warn({ generationId: g.id, provider: g.provider, inputTokens: g.input_tokens, outputTokens: g.output_tokens }, 'Responses job completed without a usage report: charged by the no-usage rule');
      },
      onRouteOutcome: (routeId, o) => observe(routeId, o),
      videoCost: (g) => g.candidates.find((c) => c.routeId === g.route_id)?.estimatedCostCents ?? g.estimated_cost_cents ?? 0,
    });
    this.sweeper = new Sweeper(
      this.store,
      { drive: (id) => this.dispatcher.drive(id), cancel: (id, a) => this.ports().cancel(id, a), onRouteTimeout: (routeId) => observe(routeId, { ok: false, kind: 'timeout' }) },
      cfg.sweepIntervalMs,
      2000,
    );
    const announced = new Counter({ name: 'pipevideo_generation_updates_announced_total', help: 'generation.updated notices this replica broadcast (one per committed visible change of a generation)', registers: [reg] });
    this.updates = new GenerationAnnouncer((subject, data) => {
      ctx.messaging.transport.publish(subject, data);
      if (subject !== BROADCASTS.generationViewReset) announced.inc();
    });
    this.store.announce = (m, note) => this.updates.changed(m, note);
    this.videos = new VideosFace(ctx.ds, this.store, this.catalog, { createGeneration: (msg) => this.createGeneration(msg), cancelled: (row) => this.afterCancel(row) });
  }

  private ports() {
    return { cancel: (generationId: string, attempt: number) => this.ctx.messaging.rpc.request(RPC.providers.jobCancel, { generationId, attempt }).then(() => undefined) };
  }

  async start(): Promise<void> {
    // Route health and breaker decisions live in one bucket every replica shares and watches.
    const kv = await this.ctx.messaging.kv(ROUTE_HEALTH_BUCKET, { maxAgeMs: Math.max(this.cfg.health.windowMs, this.cfg.breaker.resetTimeoutMs) });
    await this.health.start(kv);
    this.sharedBreakers = new SharedBreakers(kv, this.breakers, this.owner, this.cfg.breaker.resetTimeoutMs);
    await this.sharedBreakers.start();
    const events = this.ctx.messaging.events;
    await events.subscribe('router', [EVENTS.providerJobFinished, EVENTS.providerJobUsageReported], async (subject, payload) => {
      const evt = JSON.parse(payload);
      if (subject === EVENTS.providerJobFinished) await this.completion.onJobFinished(evt as ProviderJobFinishedEvt);
      else await this.completion.onUsageReported(evt as ProviderJobUsageEvt);
      void this.ctx.relay.kick();
    });
    this.updates.install(this.ctx.ds);
    // A router that starts may carry another catalog than the one the gateways mirror.
    this.ctx.messaging.transport.publish(BROADCASTS.catalogUpdated, JSON.stringify({ v: 1 }));
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    // Give in-flight dispatches a moment; what does not finish keeps its lease, which expires and
    // lets another replica (or this one, restarted) finish the job.
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.sharedBreakers?.stop();
    await this.health.stop().catch(() => undefined);
    this.breakers.shutdown();
  }

  /** Dispatch in the background of the request that created (or re-opened) the generation. */
  kick(id: string, fresh?: GenerationRow, reserved?: Reserved): void {
    const p = this.dispatcher.drive(id, fresh, reserved).finally(() => {
      this.inflight.delete(p);
      void this.ctx.relay.kick();
    });
    this.inflight.add(p);
  }

  /** Creates being admitted, dispatches running in their background, and dispatches waiting for a retry. */
  private queueDepth(): number {
    return this.creating + this.inflight.size + this.dispatcher.deferredCount();
  }

  /** Backpressure: a create this replica could not dispatch soon is refused before anything is stored or held. */
  private admitToQueue(): void {
    if (this.queueDepth() < this.cfg.dispatchQueueMax) return;
    this.dispatchRefused.inc();
    throw new DomainError(
      ErrorCode.SERVICE_UNAVAILABLE,
      `Pipevideo is busy: ${this.queueDepth()} generations are waiting to be dispatched on this router. Nothing was created or charged; retry after the indicated time.`,
      { retry_after: 2 },
    );
  }

  private createPorts(): CreatePorts {
    return {
      selectionContext: () => ({
        configuredProviders: new Set(this.cfg.configuredProviders),
        isRouteOpen: (id) => this.breakers.isOpen(id),
        health: (id) => this.health.summary(id),
        isUnhealthy: (id) => this.health.isUnhealthy(id),
      }),
      observeSelection: (s) => this.selection.observe(s),
      admit: (row) =>
        admit(row, {
          reserve: (g) => this.dispatcher.reserve(g),
          discard: (id) => this.store.discard(id),
          dispatch: (g, reserved) => this.kick(g.id, g, reserved),
        }),
      onReplay: (api) => this.replays.inc({ api }),
    };
  }

  async createGeneration(msg: CreateGenerationMsg) {
    this.admitToQueue();
    this.creating++;
    try {
      return await createGeneration(msg, this.catalog, this.store, this.createPorts(), { owner: this.owner, ms: this.cfg.dispatchLeaseMs }, this.cfg.idempotencyTtlSeconds);
    } finally {
      this.creating--;
    }
  }

  async getGeneration(orgId: string, id: string) {
    const found = await this.store.getWithAttempts(orgId, id);
    if (!found || found.g.api !== 'video') throw notFound(`Generation ${id} not found`);
    return videoGenerationView(found.g, found.attempts);
  }

  /** Newest first; `next_cursor` pages on exactly (rows of the same second included), `before` filters by time. */
  async listGenerations(orgId: string, limit: number, before?: string, cursor?: string) {
    const { rows, next_cursor } = pageOf(await this.store.list(orgId, 'video', limit + 1, before, decodeCursor(cursor)), limit);
    return { object: 'list', data: rows.map(({ attempts_json, ...g }) => videoGenerationView(g, attempts_json)), has_more: next_cursor !== null, next_cursor };
  }

  async createResponse(
    orgId: string,
    req: ResponseRequest,
    attribution: { title?: string; referer?: string } | undefined,
    correlationId?: string,
    idempotencyKey?: string,
    maxInFlight?: number,
    key?: { id: string; limit?: KeyLimit | null },
  ) {
    this.admitToQueue();
    this.creating++;
    try {
      const g = await createResponse(
        orgId, req, attribution, correlationId, this.catalog, this.store,
        { ...this.createPorts(), configuredProviders: new Set(this.cfg.configuredProviders as ProviderSlug[]), defaultMaxOutputTokens: this.cfg.responsesMaxOutputTokens },
        { owner: this.owner, ms: this.cfg.dispatchLeaseMs },
        idempotentCreate(idempotencyKey, req, this.cfg.idempotencyTtlSeconds),
        maxInFlight,
        key,
      );
      return responseView(g);
    } finally {
      this.creating--;
    }
  }

  async getResponse(orgId: string, id: string) {
    const g = await this.store.get(orgId, id);
    if (!g || g.api !== 'responses') throw notFound(`Response ${id} not found`);
    return responseView(g);
  }

  async cancelResponse(orgId: string, id: string) {
    const { row, cancelledNow } = await cancelResponse(this.ctx.ds, this.store, orgId, id);
    if (cancelledNow) this.afterCancel(row);
    return { ...responseView(row), cancelled: row.status === 'cancelled' };
  }

  /** A generation was just cancelled (either API): publish its events now and stop its upstream job. */
  private afterCancel(row: GenerationRow): void {
    void this.ctx.relay.kick();
    if (row.attempt > 0) void this.ports().cancel(row.id, row.attempt).catch(() => undefined);
  }

  private publicViewOptions() {
    return { configuredProviders: new Set(this.cfg.configuredProviders), health: { windowMs: this.cfg.health.windowMs, of: (routeId: string) => this.health.summary(routeId) } };
  }

  listModels() {
    return { object: 'list', data: listPublicModels(this.catalog, this.publicViewOptions()), has_more: false, next_cursor: null };
  }

  getModel(slug: string) {
    const m = getPublicModel(this.catalog, slug, this.publicViewOptions());
    if (!m) throw notFound(`Model ${slug} not found. See GET /v1/models`);
    return m;
  }

  listEngines() {
    return { object: 'list', data: listPublicEngines(this.catalog), has_more: false, next_cursor: null };
  }

  rankings(windowHours: number, limit: number) {
    return this.apps.top(windowHours, limit);
  }
}

/** The API key a generation's holds count against, with its spend limit when it has one (billing enforces it). */
export function keyOfHold(g: GenerationRow): { keyId?: string; keyLimitCents?: number; keyLimitReset?: string } {
  if (!g.key_id) return {};
  if (g.key_limit_cents === null || g.key_limit_cents === undefined) return { keyId: g.key_id };
  return { keyId: g.key_id, keyLimitCents: Number(g.key_limit_cents), keyLimitReset: g.key_limit_reset ?? 'none' };
}

/** Our normalised parameters for the provider adapter (which maps them to the provider's names). */
export function providerParams(g: GenerationRow, c: CandidateSnapshot, defaultMaxOutputTokens?: number): Record<string, unknown> {
  const r = g.request;
  if (g.api === 'responses') {
    return {
      engine: r.engine,
      model: r.model,
      input: r.input,
      instructions: r.instructions,
      width: r.width,
      height: r.height,
      aspectRatio: r.aspectRatio,
      expand_prompt: r.expand_prompt,
      // Stored at create with the default applied; a row created before the cap existed gets the default.
      max_output_tokens: r.max_output_tokens ?? defaultMaxOutputTokens,
    };
  }
  // Exactly what the candidate was priced on: its duration, resolution and audio (always sent, so a
  // provider's own default — Veo on fal makes audio unless told not to — never makes what was not
  // billed), and only the catalog-allowed options.
  return {
    prompt: r.prompt,
    duration: c.durationSeconds ?? undefined,
    aspectRatio: r.aspectRatio,
    resolution: c.resolution ?? r.resolution,
    imageUrl: r.imageUrl,
    withAudio: c.withAudio,
    options: r.options,
  };
}
