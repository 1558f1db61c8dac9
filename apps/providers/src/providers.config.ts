import type { ProviderSlug } from '@pipevideo/contracts';
import { envBool, envInt, envStr, loadOutputStorageConfig, type OutputStorageConfig } from '@pipevideo/platform';
import type { BaseProviderConfig } from './adapters/provider-definition';
import { PROVIDER_DEFINITIONS } from './adapters/registry';

/** Per-provider settings (base URL, key, and what the provider adds, e.g. fal's `jwksUrl`). */
export type ProviderSettings = BaseProviderConfig & Record<string, unknown>;

export interface ProvidersConfig {
  /** Keyed by provider slug; every known provider has an entry (configured or not). */
  providers: Record<string, ProviderSettings>;
  /** Public base of this service for provider callbacks; default `http://127.0.0.1:<port>`. */
  publicUrl?: string;
  /** Timeout of every provider HTTP call. */
  httpTimeoutMs: number;
  /** How often the poller looks for due jobs, and the gap between two polls of a poll-mode job. */
  pollIntervalMs: number;
  /** How long a replica owns a claimed job while polling it. */
  pollLeaseMs: number;
  pollBatchSize: number;
  pollConcurrency: number;
  /** Safety-net poll of callback-mode jobs (a lost callback); 0 = only at the deadline. */
  callbackFallbackPollMs: number;
  /** Consecutive failed polls after which a job is failed. */
  maxPollErrors: number;
  /** A job with no deadline is given up after this. */
  jobMaxAgeMs: number;
  /** A job still `submitting` after this was interrupted mid-call; well past the submit's HTTP timeout and the router's RPC timeout. */
  staleSubmissionMs: number;
  /** Callback timestamps further than this from now are refused (fal; Replicate at most 300). */
  signatureToleranceSeconds: number;
  /** A failed signature check refetches JWKS / webhook secret at most this often. */
  keyRefreshMinIntervalMs: number;
  /** Lifts the private-address check on customer media URLs (tests, embedded mode). */
  allowPrivateUrls: boolean;
  /**
   * The key ring that encrypts orgs' own provider keys (`PIPEVIDEO_BYOK_ENCRYPTION_KEY`,
   * `<id>:<base64 32 bytes>[,…]`, newest first); unset outside production: a fixed development key.
   */
  byokEncryptionKey?: string;
  /** Callback-mode jobs (fal, Replicate) are asked for progress this often (0: never). */
  progressPollMs: number;
  /** Where outputs are copied in (docs/outputs.md). */
  storage: OutputStorageConfig;
  /** How often stored outputs past their retention are looked for. */
  retentionSweepMs: number;
}

export type ProvidersConfigInput = Partial<Omit<ProvidersConfig, 'providers' | 'storage'>> & {
  storage?: Partial<OutputStorageConfig>;
  providers?: Partial<Record<ProviderSlug | string, Partial<ProviderSettings>>>;
};

/** Env defaults, overridden by what the caller passes (embedded mode, tests). */
export function loadProvidersConfig(over: ProvidersConfigInput = {}): ProvidersConfig {
  const providers: Record<string, ProviderSettings> = {};
  for (const d of PROVIDER_DEFINITIONS) {
    const given = over.providers?.[d.slug] ?? {};
    const merged = { ...d.configFromEnv(), ...dropUndefined(given) };
    providers[d.slug] = merged as ProviderSettings;
  }
  const httpTimeoutMs = over.httpTimeoutMs ?? envInt('PIPEVIDEO_PROVIDER_HTTP_TIMEOUT_MS', 30_000);
  const publicUrl = over.publicUrl ?? (envStr('PIPEVIDEO_PROVIDERS_PUBLIC_URL', '') || undefined);
  return {
    providers,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    httpTimeoutMs,
    pollIntervalMs: over.pollIntervalMs ?? envInt('PIPEVIDEO_PROVIDERS_POLL_INTERVAL_MS', 1000),
    // A poll may make two calls (fal: status then result): the lease outlives both.
    pollLeaseMs: over.pollLeaseMs ?? envInt('PIPEVIDEO_PROVIDERS_POLL_LEASE_MS', Math.max(60_000, 2 * httpTimeoutMs + 5000)),
    pollBatchSize: over.pollBatchSize ?? envInt('PIPEVIDEO_PROVIDERS_POLL_BATCH', 50),
    pollConcurrency: over.pollConcurrency ?? envInt('PIPEVIDEO_PROVIDERS_POLL_CONCURRENCY', 8),
    callbackFallbackPollMs: over.callbackFallbackPollMs ?? envInt('PIPEVIDEO_PROVIDERS_CALLBACK_FALLBACK_POLL_MS', 60_000),
    maxPollErrors: over.maxPollErrors ?? envInt('PIPEVIDEO_PROVIDERS_MAX_POLL_ERRORS', 10),
    jobMaxAgeMs: over.jobMaxAgeMs ?? envInt('PIPEVIDEO_PROVIDERS_JOB_MAX_AGE_MS', 3600_000),
    staleSubmissionMs: over.staleSubmissionMs ?? envInt('PIPEVIDEO_PROVIDERS_STALE_SUBMISSION_MS', 2 * httpTimeoutMs + 30_000),
    signatureToleranceSeconds: over.signatureToleranceSeconds ?? envInt('PIPEVIDEO_PROVIDERS_SIGNATURE_TOLERANCE_SECONDS', 300),
    keyRefreshMinIntervalMs: over.keyRefreshMinIntervalMs ?? envInt('PIPEVIDEO_PROVIDERS_KEY_REFRESH_MIN_INTERVAL_MS', 30_000),
    allowPrivateUrls: over.allowPrivateUrls ?? envBool('PIPEVIDEO_ALLOW_PRIVATE_URLS', false),
    byokEncryptionKey: over.byokEncryptionKey ?? (envStr('PIPEVIDEO_BYOK_ENCRYPTION_KEY', '') || undefined),
    progressPollMs: over.progressPollMs ?? envInt('PIPEVIDEO_PROVIDERS_PROGRESS_POLL_MS', 5000),
    storage: loadOutputStorageConfig(over.storage),
    retentionSweepMs: over.retentionSweepMs ?? envInt('PIPEVIDEO_OUTPUT_RETENTION_SWEEP_MS', 60_000),
  };
}

/** Providers that have credentials in this configuration (env defaults + overrides). */
export function configuredProviders(config: ProvidersConfigInput = {}): ProviderSlug[] {
  const full = loadProvidersConfig(config);
  return PROVIDER_DEFINITIONS.filter((d) => d.isConfigured(full.providers[d.slug])).map((d) => d.slug);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
