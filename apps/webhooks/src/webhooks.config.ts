import { envBool, envInt, envStr } from '@pipevideo/platform';

/** Everything the webhooks service can be tuned with; `loadWebhooksConfig` reads the environment. */
export interface WebhooksConfig {
  /** Allow `http://` endpoint URLs (PIPEVIDEO_WEBHOOKS_ALLOW_HTTP). */
  allowHttp: boolean;
  /** Allow URLs resolving to private/loopback/link-local addresses (PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** Key that encrypts signing secrets at rest (PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY); empty = stored in clear. */
  encryptionKey: string;
  /** One attempt's time limit, connect to last byte (PIPEVIDEO_WEBHOOKS_TIMEOUT_MS). */
  timeoutMs: number;
  /** Delays before retry 1, 2, …; attempts = length + 1 (PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE, e.g. "5s,30s,2m"). */
  retryScheduleMs: number[];
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter] (PIPEVIDEO_WEBHOOKS_RETRY_JITTER). */
  retryJitter: number;
  /** Attempts in flight at once per service instance (PIPEVIDEO_WEBHOOKS_CONCURRENCY). */
  concurrency: number;
  /** Attempts in flight per endpoint, across all instances (PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT). */
  maxInFlightPerEndpoint: number;
  /** Attempts in flight per org, across all instances, so one org cannot hold every slot (PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ORG). */
  maxInFlightPerOrg: number;
  /** Deliveries per second per endpoint, a token bucket of one second's worth; 0 = no cap (PIPEVIDEO_WEBHOOKS_ENDPOINT_RATE_PER_SECOND). */
  endpointRatePerSecond: number;
  /** How often the worker looks for due deliveries (PIPEVIDEO_WEBHOOKS_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** A claimed delivery is retaken by any worker after 2 × timeoutMs + leaseMarginMs (crashed worker; a send may take two posts). */
  leaseMarginMs: number;
  /** After a secret rotation, the old secret keeps signing (second `v1,` entry) this long. */
  rotationOverlapMs: number;
  /** An endpoint failing without a single success for longer than this is disabled. */
  disableAfterFailingMs: number;
  /** An endpoint whose last N deliveries all exhausted their retries is disabled. */
  disableAfterExhausted: number;
  /** On close, in-flight attempts get this long to finish; the rest are abandoned to their lease. */
  shutdownGraceMs: number;
  /** Finished deliveries (and their events) are deleted from the log after this long. */
  retentionMs: number;
  /** Endpoints one org may have. */
  maxEndpointsPerOrg: number;
  /** Name of the durable event consumer (replicas share it; tests make it unique). */
  consumerName: string;
  /** PostgreSQL pool size of this instance. */
  dbPoolSize: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "5s", "2m", "1h", "3d" or a bare number of milliseconds. */
export function parseDuration(raw: string): number {
  const m = raw.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/);
  if (!m) throw new Error(`invalid duration "${raw}" (use e.g. 250ms, 5s, 2m, 1h, 3d)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
}

export function parseSchedule(raw: string): number[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean).map(parseDuration);
  if (!list.length) throw new Error('retry schedule must list at least one delay');
  return list;
}

/** 5s, 30s, 2m, 10m, 30m, 1h, 3h, 6h, 12h, 24h, 24h: 12 attempts over about 2 days 23 hours. */
export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,30m,1h,3h,6h,12h,24h,24h';

export function loadWebhooksConfig(overrides: Partial<WebhooksConfig> = {}): WebhooksConfig {
  const env = (name: string, fallback: string) => envStr(`PIPEVIDEO_WEBHOOKS_${name}`, fallback);
  const config: WebhooksConfig = {
    allowHttp: envBool('PIPEVIDEO_WEBHOOKS_ALLOW_HTTP', false),
    allowPrivate: envBool('PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE', false),
    encryptionKey: env('ENCRYPTION_KEY', ''),
    timeoutMs: envInt('PIPEVIDEO_WEBHOOKS_TIMEOUT_MS', 10_000),
    retryScheduleMs: parseSchedule(env('RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE)),
    retryJitter: Number(env('RETRY_JITTER', '0.2')),
    concurrency: envInt('PIPEVIDEO_WEBHOOKS_CONCURRENCY', 64),
    maxInFlightPerEndpoint: envInt('PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT', 16),
    maxInFlightPerOrg: envInt('PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ORG', 32),
    endpointRatePerSecond: Number(env('ENDPOINT_RATE_PER_SECOND', '200')),
    pollIntervalMs: envInt('PIPEVIDEO_WEBHOOKS_POLL_INTERVAL_MS', 200),
    leaseMarginMs: parseDuration(env('LEASE_MARGIN', '30s')),
    rotationOverlapMs: parseDuration(env('ROTATION_OVERLAP', '24h')),
    disableAfterFailingMs: parseDuration(env('DISABLE_AFTER', '3d')),
    disableAfterExhausted: envInt('PIPEVIDEO_WEBHOOKS_DISABLE_AFTER_EXHAUSTED', 3),
    shutdownGraceMs: parseDuration(env('SHUTDOWN_GRACE', '5s')),
    retentionMs: parseDuration(env('RETENTION', '30d')),
    maxEndpointsPerOrg: envInt('PIPEVIDEO_WEBHOOKS_MAX_ENDPOINTS_PER_ORG', 50),
    consumerName: env('CONSUMER', 'webhooks'),
    dbPoolSize: envInt('PIPEVIDEO_WEBHOOKS_DB_POOL_SIZE', 10),
    ...stripUndefined(overrides),
  };
  if (!(config.retryJitter >= 0 && config.retryJitter < 1)) throw new Error('PIPEVIDEO_WEBHOOKS_RETRY_JITTER must be in [0, 1)');
  if (config.concurrency < 1 || config.maxInFlightPerEndpoint < 1 || config.maxInFlightPerOrg < 1) throw new Error('webhook concurrency must be at least 1');
  if (!(config.endpointRatePerSecond >= 0)) throw new Error('PIPEVIDEO_WEBHOOKS_ENDPOINT_RATE_PER_SECOND must be a number ≥ 0 (0: no cap)');
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
