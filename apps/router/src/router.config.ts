import { envInt, envStr } from '@pipevideo/platform';
import { PROVIDER_SLUGS, ProviderSlug } from '@pipevideo/contracts';
import type { RouteHealthConfig } from './health/route-health';
import type { ByokFeeConfig } from './routing/byok-fee';

export interface RouterConfig {
  /** Providers this deployment has credentials for (routes of others are not eligible). */
  configuredProviders: ProviderSlug[];
  /** Callback providers (fal, Replicate) that never call back fail after this (spec: 15 min). */
  callbackTimeoutMs: number;
  /** Poll providers fail after this (spec: about 10 min). */
  pollTimeoutMs: number;
  /**
   * How long a replica owns a generation while dispatching it. Longer than the slowest step done under
   * it (the submit call, `breaker.timeoutMs`), or a sweeper would take over a dispatch still running.
   */
  dispatchLeaseMs: number;
  sweepIntervalMs: number;
  breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeoutMs: number; rollingCountTimeoutMs: number; timeoutMs: number };
  /**
   * Output cap of a Responses job whose request sets no `max_output_tokens`: sent to the provider and
   * part of the hold (estimated input tokens + this cap, `responses/token-hold.ts`).
   */
  responsesMaxOutputTokens: number;
  /** Apps with fewer completed generations in the window are left out of the public rankings. */
  rankingsMinGenerations: number;
  /** How long a create's Idempotency-Key names its generation (the gateway keeps keys as long: same variable). */
  idempotencyTtlSeconds: number;
  /**
   * Generations one router replica dispatches at once in the background of their creates (backpressure):
   * a create beyond it is refused with 503 and `retry_after` before anything is stored or held.
   */
  dispatchQueueMax: number;
  /**
   * A submit that failed on our side (the providers service did not answer in time or not at all) keeps
   * its attempt, hold and route and is submitted again after `dispatchRetryBackoffMs`, for at most
   * `dispatchRetryWindowMs` from the attempt's start; only then does the generation fall back.
   */
  dispatchRetryBackoffMs: number;
  dispatchRetryWindowMs: number;
  /**
   * Holds go to billing in micro-batches (`generations/hold-batcher.ts`, `billing.hold.placeMany`): at most
   * `holdBatchSize` holds per request (1: one `billing.hold.place` per hold, as before batching) and at
   * most `holdBatchesInFlight` requests at once.
   */
  holdBatchSize: number;
  holdBatchesInFlight: number;
  /** Measured route health (sliding window shared by all replicas) and when a route counts as unhealthy. */
  health: RouteHealthConfig;
  /** The platform fee of a generation run on the org's own provider key (routing/byok-fee.ts). */
  byokFee: ByokFeeConfig;
}

export function routerConfigFromEnv(over: Partial<RouterConfig> = {}): RouterConfig {
  return {
    configuredProviders: envStr('PIPEVIDEO_CONFIGURED_PROVIDERS', PROVIDER_SLUGS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as ProviderSlug[],
    callbackTimeoutMs: envInt('PIPEVIDEO_CALLBACK_TIMEOUT_MS', 15 * 60_000),
    pollTimeoutMs: envInt('PIPEVIDEO_POLL_TIMEOUT_MS', 10 * 60_000),
    dispatchLeaseMs: envInt('PIPEVIDEO_DISPATCH_LEASE_MS', 60_000),
    sweepIntervalMs: envInt('PIPEVIDEO_SWEEP_INTERVAL_MS', 1000),
    breaker: {
      errorThresholdPercentage: envInt('PIPEVIDEO_BREAKER_ERROR_PERCENT', 50),
      volumeThreshold: envInt('PIPEVIDEO_BREAKER_VOLUME', 5),
      resetTimeoutMs: envInt('PIPEVIDEO_BREAKER_RESET_MS', 30_000),
      rollingCountTimeoutMs: envInt('PIPEVIDEO_BREAKER_WINDOW_MS', 60_000),
      timeoutMs: envInt('PIPEVIDEO_BREAKER_CALL_TIMEOUT_MS', 35_000),
    },
    responsesMaxOutputTokens: envInt('PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS', 20_000),
    rankingsMinGenerations: envInt('PIPEVIDEO_RANKINGS_MIN_GENERATIONS', 10),
    idempotencyTtlSeconds: envInt('PIPEVIDEO_IDEMPOTENCY_TTL_SECONDS', 24 * 3600),
    dispatchQueueMax: envInt('PIPEVIDEO_DISPATCH_QUEUE_MAX', 512),
    dispatchRetryBackoffMs: envInt('PIPEVIDEO_DISPATCH_RETRY_BACKOFF_MS', 2000),
    dispatchRetryWindowMs: envInt('PIPEVIDEO_DISPATCH_RETRY_WINDOW_MS', 10 * 60_000),
    holdBatchSize: envInt('PIPEVIDEO_HOLD_BATCH_SIZE', 64),
    holdBatchesInFlight: envInt('PIPEVIDEO_HOLD_BATCHES_IN_FLIGHT', 4),
    health: healthConfig(envInt('PIPEVIDEO_ROUTE_HEALTH_WINDOW_MS', 10 * 60_000)),
    byokFee: { flatCents: envInt('PIPEVIDEO_BYOK_FEE_CENTS', 1), percent: envInt('PIPEVIDEO_BYOK_FEE_PERCENT', 0) },
    ...over,
  };
}

/** The health window is cut into 10 buckets; see health/route-window.ts. */
function healthConfig(windowMs: number): RouteHealthConfig {
  return {
    windowMs,
    bucketMs: Math.max(1000, Math.floor(windowMs / 10)),
    maxDurationsPerBucket: 50,
    flushMs: envInt('PIPEVIDEO_ROUTE_HEALTH_FLUSH_MS', 250),
    minSamples: envInt('PIPEVIDEO_ROUTE_HEALTH_MIN_SAMPLES', 5),
    unhealthyBelow: envInt('PIPEVIDEO_ROUTE_HEALTH_UNHEALTHY_BELOW_PERCENT', 50) / 100,
  };
}
