import { Counter, Gauge, Histogram } from 'prom-client';
import {
  BROADCASTS, BYOK_PROVIDERS, CreateGenerationMsg, decodeCursor, DomainError, ErrorCode, EVENTS, type KeyLimit, MAX_HOLDS_PER_REQUEST, notFound, type OutputLocation, pageOf,
  type PlaceHoldMsg, type PlaceHoldReply, type PlaceHoldsItem, type ProviderKeysChangedMsg, ProviderSlug, RPC, type RpcSend,
} from '@pipevideo/contracts';
import { currentCorrelationId, logger, outboxWrites, ServiceContext, subscribeEvents } from '@pipevideo/platform';
import { BreakerRegistry } from './breakers/breaker-registry';
import { registerBreakerStateGauge, registerBreakerTransitionCounter } from './breakers/metrics';
import { SharedBreakers } from './breakers/shared-breakers';
import { RouteHealth } from './health/route-health';
import { registerRouteHealthMetrics } from './health/metrics';
import { Catalog, defaultCatalog } from './catalog/catalog';
import { getPublicModel, listPublicEngines, listPublicModels } from './catalog/public-view';
import { byokFeeCents, validateByokFee } from './routing/byok-fee';
import { OwnKeysCache } from './routing/own-keys';
import { CompletionHandler } from './generations/completion.handler';
import { createGeneration, CreatePorts } from './generations/create-generation';
import { idempotentCreate } from './generations/idempotent-create';
import { admit, type DiscardRetry, discardRefused } from './generations/admit';
import { Dispatcher, isOurSideFailure, type Reserved } from './generations/dispatcher';
import { GenerationStore, newLeaseOwner } from './generations/generation.store';
import type { GenerationRow } from './generations/generation.types';
import { registerGenerationGauges } from './generations/generation-metrics';
import { holdBatcher } from './generations/hold-batcher';
import { keyOfHold } from './generations/hold-request';
import { providerParams } from './generations/provider-params';
import { finishedVideoCostCents } from './generations/video-cost';
import { responseTokenCost } from './responses/token-charge';
import { defaultLinker } from './generations/output-links';
import { Sweeper } from './generations/sweeper';
import { GenerationAnnouncer } from './generations/generation-updates';
import { responseView, videoGenerationView } from './generations/views';
import { Rankings } from './rankings/rankings';
import { cancelResponse } from './responses/cancel-response';
import { createResponse, ResponseRequest } from './responses/create-response';
import { unreportedUsageTokens } from './responses/token-hold';
import { VideosFace } from './videos/videos-face';
import type { RouterConfig } from './router.config';

// Domain rules live in their folders; re-exported where callers found them before.
export { keyOfHold } from './generations/hold-request';
export { providerParams } from './generations/provider-params';

/** Holds one router replica lets wait for a billing.hold.placeMany slot before refusing more (503). */
const HOLDS_WAITING_MAX = 4096;
/** Longest a hold waits for a billing.hold.placeMany slot before it is refused unsent (503 at create). */
const HOLD_WAIT_MAX_MS = 1000;

/** The shared bucket of route health windows (`stats.<route>`) and breaker decisions (`breaker.<route>`). */
export const ROUTE_HEALTH_BUCKET = 'route_health';
/** How long an org's own-key answer is trusted without a `provider_keys.changed` notice (a lost notice), and how many orgs are kept. */
const OWN_KEYS_TTL_MS = 30_000;
const OWN_KEYS_MAX_ORGS = 10_000;

/** The router's use cases wired to billing, providers, breakers and metrics. NestJS-free. */
export class RouterComposition {
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
  /** Refused creates whose generation PostgreSQL could not remove at once: tried again while the create's lease lasts. */
  private readonly discardRetry: DiscardRetry;
  /** Background removals of refused creates (discardRefused) not finished yet. */
  private readonly discarding = new Set<Promise<void>>();
  private creating = 0;
  /** `generation.updated.<org>` broadcasts after each committed visible change (the gateway's poll view, status streams). */
  private readonly updates: GenerationAnnouncer;
  private readonly ownKeys: OwnKeysCache;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly ctx: ServiceContext,
    readonly cfg: RouterConfig,
    readonly catalog: Catalog = defaultCatalog(),
  ) {
    const linksServed = new Counter({
      name: 'pipevideo_output_links_total',
      help: 'Signed links to stored outputs handed out (in poll answers, Responses objects, webhooks), by kind (output, artifact)',
      labelNames: ['kind'],
      registers: [ctx.metrics.registry],
    });
    this.store = new GenerationStore(ctx.ds, defaultLinker((kind) => linksServed.inc({ kind })));
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
    registerGenerationGauges(reg, ctx.metrics.collectors, this.store, this.catalog);
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

    validateByokFee(cfg.byokFee);
    const byokJobs = new Counter({
      name: 'pipevideo_byok_generations_total',
      help: "Attempts held and submitted on the org's own provider key (bring your own key), by provider",
      labelNames: ['provider'],
      registers: [reg],
    });
    const ourSide = new Counter({
      name: 'pipevideo_dispatch_our_side_failures_total',
      help: 'Submits that failed on our side (providers service unreachable or too slow), by route and outcome: retried on the same route, or gave_up (fell back after the retry window); never counted against the route',
      labelNames: ['route', 'outcome'],
      registers: [reg],
    });
    const discardRetries = new Counter({
      name: 'pipevideo_refused_create_discard_retries_total',
      help: 'Refused creates whose generation could not be removed at once (PostgreSQL unreachable), by outcome: removed later in the background, or gave_up when the create\'s dispatch lease ran out',
      labelNames: ['outcome'],
      registers: [reg],
    });
    this.discardRetry = {
      everyMs: 1000,
      forMs: cfg.dispatchLeaseMs,
      onRetried: (generationId, outcome, err) => {
        discardRetries.inc({ outcome });
        if (outcome === 'gave_up') logger.error({ generationId, err: String(err) }, 'a refused create could not be removed before its lease ran out; a sweeper will take it over');
      },
      track: (background) => {
        this.discarding.add(background);
        void background.finally(() => this.discarding.delete(background));
      },
    };
    this.dispatchRefused = new Counter({ name: 'pipevideo_dispatch_queue_refusals_total', help: 'Creates refused with 503 because this router replica\'s dispatch queue was full (backpressure)', registers: [reg] });
    const depth = () => this.queueDepth();
    new Gauge({ name: 'pipevideo_dispatch_queue_depth', help: 'Generations this router replica is admitting, dispatching, or holding for a retry (bounded by PIPEVIDEO_DISPATCH_QUEUE_MAX)', registers: [reg], collect() { this.set(depth()); } });
    const rpc = ctx.messaging.rpc;
    const ownKeyLookups = new Counter({ name: 'pipevideo_byok_key_lookups_total', help: "Lookups of an org's own provider keys sent to the providers service (the rest are answered from this router's cache)", registers: [reg] });
    this.ownKeys = new OwnKeysCache(async (orgId) => {
      ownKeyLookups.inc();
      return (await rpc.request(RPC.providers.keyActive, { orgId })).providers;
    }, { ttlMs: OWN_KEYS_TTL_MS, maxOrgs: OWN_KEYS_MAX_ORGS });
    const fallbackReleases = new Counter({
      name: 'pipevideo_fallback_hold_releases_total',
      help: "Holds of closed attempts released at once before a fallback holds for its next route: released, already (its event came first), failed (billing unreachable: its event releases it later)",
      labelNames: ['outcome'],
      registers: [reg],
    });
    const placeHold = this.holdPlacement(cfg);
    this.dispatcher = new Dispatcher(
      this.store,
      {
        placeHold: async (g, holdId, amountCents) => {
          const r = await placeHold({ orgId: g.org_id, holdId, amountCents, generationId: g.id, ...keyOfHold(g) });
          if (r.outcome === 'placed') return { ok: true };
          if (r.outcome === 'key_limit') return { ok: false, reason: 'key_limit', message: r.message, details: { reason: 'key_limit', ...r.keyLimit } };
          return { ok: false, reason: 'insufficient_balance', message: r.message };
        },
        releaseHold: async (g, holdId, reason) => {
          try {
            const r = await rpc.request(RPC.billing.holdRelease, { orgId: g.org_id, holdId, reason });
            fallbackReleases.inc({ outcome: r.released ? 'released' : 'already' });
          } catch (err) {
            fallbackReleases.inc({ outcome: 'failed' });
            throw err;
          }
        },
        submit: (msg) => rpc.request(RPC.providers.jobSubmit, msg, { timeoutMs: cfg.breaker.timeoutMs }),
        cancel: async (generationId, attempt) => {
          await rpc.request(RPC.providers.jobCancel, { generationId, attempt });
        },
        breakerIsOpen: (routeId) => this.breakers.isOpen(routeId),
        // Our own failures (the providers service unreachable or slow: our overload) say nothing about the route.
        throughBreaker: (routeId, fn) =>
          this.breakers.run(routeId, fn, (r: any) => (r instanceof Error && !isOurSideFailure(r)) || (r && r.ok === false && r.retryable === true), isOurSideFailure),
        onOurSideFailure: (routeId, outcome) => ourSide.inc({ route: routeId, outcome }),
        onFallback: (reason) => this.fallbacks.inc({ reason }),
        onRouteFailure: (routeId, kind) => observe(routeId, { ok: false, kind }),
        params: (g, c) => providerParams(g, c, cfg.responsesMaxOutputTokens),
        byokProviders: (orgId) => this.ownKeys.providers(orgId),
        byokFee: (cents) => byokFeeCents(cents, cfg.byokFee),
        byokCapable: new Set<string>(BYOK_PROVIDERS),
        onByok: (provider) => byokJobs.inc({ provider }),
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
        const cost = responseTokenCost(this.catalog, g, inputTokens, outputTokens);
        await rpc.request(RPC.billing.tokenCharge, { orgId: g.org_id, responseId: g.id, holdId: g.hold_id ?? undefined, amountCents: cost.costCents, inputTokens, outputTokens, model: g.requested_model });
        return cost;
      },
      unreportedUsage: (g) => unreportedUsageTokens(g.request as ResponseRequest, this.cfg.responsesMaxOutputTokens),
      onUnreportedUsage: (g) => {
        this.unreportedUsage.inc({ provider: g.provider ?? 'none' });
        logger.warn({ generationId: g.id, provider: g.provider, inputTokens: g.input_tokens, outputTokens: g.output_tokens }, 'Responses job completed without a usage report: charged by the no-usage rule');
      },
      onRouteOutcome: (routeId, o) => observe(routeId, o),
      videoCost: (g) => finishedVideoCostCents(g, cfg.byokFee),
    });
    this.sweeper = new Sweeper(
      this.store,
      {
        drive: (id) => this.dispatcher.drive(id),
        cancel: (id, a) => this.ports().cancel(id, a),
        onRouteTimeout: (routeId) => observe(routeId, { ok: false, kind: 'timeout' }) },
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

  /**
   * How holds reach billing: micro-batched (`holdBatcher`: the holds of one event-loop turn in one
   * `billing.hold.placeMany`, bounded in size, requests in flight and holds waiting), each answered as
   * `billing.hold.place` would; a hold's own error is thrown to its caller only. With a batch size of 1,
   * one `billing.hold.place` per hold (as before batching, e.g. against a billing without placeMany).
   */
  private holdPlacement(cfg: RouterConfig): (hold: RpcSend<'billing.hold.place'>) => Promise<PlaceHoldReply> {
    const rpc = this.ctx.messaging.rpc;
    if (cfg.holdBatchSize === 1) return (hold) => rpc.request(RPC.billing.holdPlace, hold);
    if (!Number.isSafeInteger(cfg.holdBatchSize) || cfg.holdBatchSize < 1 || cfg.holdBatchSize > MAX_HOLDS_PER_REQUEST)
      throw new Error(`PIPEVIDEO_HOLD_BATCH_SIZE must be between 1 and ${MAX_HOLDS_PER_REQUEST} (got ${cfg.holdBatchSize})`);
    const batchSize = new Histogram({
      name: 'pipevideo_hold_batch_size',
      help: 'Holds per billing.hold.placeMany request this router replica sent (the holds of one event-loop turn, at most PIPEVIDEO_HOLD_BATCH_SIZE)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [this.ctx.metrics.registry],
    });
    const batcher = holdBatcher<PlaceHoldMsg, PlaceHoldsItem>((holds) => rpc.request(RPC.billing.holdPlaceMany, { holds }).then((r) => r.results), {
      maxBatch: cfg.holdBatchSize,
      maxInFlight: cfg.holdBatchesInFlight,
      // Far above what the dispatch queue (PIPEVIDEO_DISPATCH_QUEUE_MAX) lets wait in practice: a bound, not a tuning knob.
      maxWaiting: Math.max(HOLDS_WAITING_MAX, cfg.holdBatchSize),
      // Well inside the gateway's wait for the create: a hold sent later could run a create already answered 503.
      maxWaitMs: HOLD_WAIT_MAX_MS,
      onBatch: (n) => batchSize.observe(n),
    });
    return async (hold) => {
      // Each hold carries the correlation id of its own create (the request carries its first hold's).
      const r = await batcher.submit({ v: 1, correlationId: currentCorrelationId(), ...hold });
      if (r.outcome === 'error') throw new DomainError(r.code, r.message, r.details);
      return r;
    };
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
    await subscribeEvents(this.ctx.messaging.events, 'router', {
      [EVENTS.providerJobFinished]: async (evt) => {
        await this.completion.onJobFinished(evt);
        void this.ctx.relay.kick();
      },
      [EVENTS.providerJobProgressed]: async (evt) => {
        await this.completion.onProgress(evt);
      },
      [EVENTS.providerJobUsageReported]: async (evt) => {
        await this.completion.onUsageReported(evt);
        void this.ctx.relay.kick();
      },
    });
    // An org saved or deleted its own key: ask the providers service again (a lost notice: the TTL).
    this.unsubscribe.push(
      this.ctx.messaging.transport.subscribe(BROADCASTS.providerKeysChanged, (_subject, data) => {
        try {
          this.ownKeys.forget((JSON.parse(data) as ProviderKeysChangedMsg).orgId);
        } catch {
          this.ownKeys.clear();
        }
      }, () => this.ownKeys.clear()),
    );
    this.updates.install(this.ctx.ds);
    // A router that starts may carry another catalog than the one the gateways mirror.
    this.ctx.messaging.transport.publish(BROADCASTS.catalogUpdated, JSON.stringify({ v: 1 }));
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    for (const u of this.unsubscribe.splice(0)) u();
    // Give in-flight dispatches a moment; what does not finish keeps its lease, which expires and
    // lets another replica (or this one, restarted) finish the job. Refused creates still being removed
    // in the background get the same moment: one a sweeper took over would run a create answered with an error.
    await Promise.race([Promise.allSettled([...this.inflight, ...this.discarding]), new Promise((r) => setTimeout(r, 3000).unref())]);
    this.sharedBreakers?.stop();
    await this.health.stop().catch(() => undefined);
    this.breakers.shutdown();
  }

  /** Dispatch in the background of the request that created (or re-opened) the generation. */
  kick(id: string, fresh?: GenerationRow, reserved?: Reserved): void {
    // Most dispatches write no event (a fallback's release or a failure's end do): only those kick the relay.
    const writes = outboxWrites(this.ctx.ds);
    const p = this.dispatcher.drive(id, fresh, reserved).finally(() => {
      this.inflight.delete(p);
      if (outboxWrites(this.ctx.ds) !== writes) void this.ctx.relay.kick();
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
      planFirstAttempt: (g) => this.dispatcher.plan({ api: g.api, org_id: g.orgId, candidates: g.candidates }, 0),
      admit: (row, planned) =>
        admit(
          row,
          {
            reserve: (g, p) => (p ? this.dispatcher.reserve(g, g.next_candidate, g.attempt, [], p) : this.dispatcher.reserve(g)),
            discard: (id) =>
              discardRefused(id, async (i) => {
                const removed = await this.store.discard(i, this.owner);
                if (removed) void this.ctx.relay.kick();
                return removed;
              }, this.discardRetry),
            dispatch: (g, reserved) => this.kick(g.id, g, reserved),
          },
          planned,
        ),
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
    return videoGenerationView(found.g, found.attempts, await this.store.linker.of(found.g));
  }

  /** Newest first; `next_cursor` pages on exactly (rows of the same second included), `before` filters by time. */
  async listGenerations(orgId: string, limit: number, before?: string, cursor?: string) {
    const { rows, next_cursor } = pageOf(await this.store.list(orgId, 'video', limit + 1, before, decodeCursor(cursor)), limit);
    const data = await Promise.all(rows.map(async ({ attempts_json, ...g }) => videoGenerationView(g, attempts_json, await this.store.linker.of(g))));
    return { object: 'list' as const, data, has_more: next_cursor !== null, next_cursor };
  }

  /** Where a generation's stored file is; 404 for another org's or another API's id (and deleted videos). */
  async locateOutput(orgId: string, id: string, api: 'video' | 'responses'): Promise<OutputLocation> {
    const g = await this.store.get(orgId, id);
    if (!g || g.api !== api || g.deleted_at) throw notFound(`${api === 'video' ? 'Generation' : 'Response'} ${id} not found`);
    return {
      id: g.id,
      status: g.status,
      output: g.status === 'completed' ? g.output_file ?? null : null,
      artifact: g.status === 'completed' ? g.artifact_file ?? null : null,
      legacyOutputUrl: g.status === 'completed' && !g.output_file ? g.output_url : null,
    };
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
    return responseView(g, await this.store.linker.of(g));
  }

  async cancelResponse(orgId: string, id: string) {
    const { row, cancelledNow } = await cancelResponse(this.ctx.ds, this.store, orgId, id);
    if (cancelledNow) this.afterCancel(row);
    return { ...responseView(row, await this.store.linker.of(row)), cancelled: row.status === 'cancelled' };
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
    return { object: 'list' as const, data: listPublicModels(this.catalog, this.publicViewOptions()), has_more: false as const, next_cursor: null };
  }

  getModel(slug: string) {
    const m = getPublicModel(this.catalog, slug, this.publicViewOptions());
    if (!m) throw notFound(`Model ${slug} not found. See GET /v1/models`);
    return m;
  }

  listEngines() {
    return { object: 'list' as const, data: listPublicEngines(this.catalog), has_more: false as const, next_cursor: null };
  }

  rankings(windowHours: number, limit: number) {
    return this.apps.top(windowHours, limit);
  }
}
