import { BROADCASTS, type ProviderKeysChangedMsg } from '@pipevideo/contracts';
import { createObjectStorage, logger, type ObjectStorage, type ServiceContext } from '@pipevideo/platform';
import { ByokMetrics } from './byok/byok-metrics';
import { KeyCipher } from './byok/key-cipher';
import { ProviderKeyStore } from './byok/provider-key-store';
import { ProviderKeys } from './byok/provider-keys';
import { OutputCopier } from './outputs/output-copier';
import { RetentionSweeper } from './outputs/retention-sweeper';
import type { ProviderAdapter } from './adapters/provider-adapter';
import type { ProvidersConfig } from './providers.config';
import { AdapterSet, CallbackUrls } from './jobs/adapter-set';
import { JobFinisher } from './jobs/job-finisher';
import { JobPoller, type OutputStep } from './jobs/job-poller';
import { JobStore } from './jobs/job-store';
import { ProviderMetrics } from './providers.metrics';
import { CancelJobUseCase } from './usecases/cancel-job/cancel-job.usecase';
import { ReceiveCallbackUseCase } from './usecases/receive-callback/receive-callback.usecase';
import { SubmitJobUseCase } from './usecases/submit-job/submit-job.usecase';

/** Everything the providers service does, as plain objects (the Nest layer only delegates to these). */
export interface ProvidersComposition {
  config: ProvidersConfig;
  metrics: ProviderMetrics;
  adapters: AdapterSet;
  store: JobStore;
  finisher: JobFinisher;
  callbackUrls: CallbackUrls;
  submit: SubmitJobUseCase;
  cancel: CancelJobUseCase;
  callbacks: ReceiveCallbackUseCase;
  poller: JobPoller;
  /** Orgs' own provider keys (bring your own key). */
  keys: ProviderKeys;
  storage: ObjectStorage;
  /** The copy-in step every poller of this service runs (a second poller, e.g. in tests, shares it). */
  outputStep: OutputStep;
  retention: RetentionSweeper;
}

export const PROVIDERS_COMPOSITION = Symbol('PROVIDERS_COMPOSITION');

export function composeProviders(ctx: ServiceContext, config: ProvidersConfig, adapters?: ProviderAdapter[]): ProvidersComposition {
  const metrics = new ProviderMetrics(ctx.metrics.registry);
  const set = new AdapterSet(config, metrics, adapters);
  const store = new JobStore(ctx.ds);
  // Tombstones of cancelled attempts are pruned with the outbox and inbox, by the platform's janitor.
  ctx.janitor.add(store.cancelledAttemptsRetentionRule());
  const finisher = new JobFinisher(ctx.ds, () => void ctx.relay.kick());
  const callbackUrls = new CallbackUrls(config.publicUrl);
  const byokMetrics = new ByokMetrics(ctx.metrics.registry);
  if (!config.byokEncryptionKey) logger.warn('PIPEVIDEO_BYOK_ENCRYPTION_KEY is not set: provider keys orgs bring are encrypted with the public development key');
  const cipher = config.byokEncryptionKey ? KeyCipher.fromEnv(config.byokEncryptionKey) : KeyCipher.development();
  // Routers cache which providers an org brings its own key for: tell them when that changes (committed).
  const keysChanged = (orgId: string) => {
    const msg: ProviderKeysChangedMsg = { v: 1, orgId };
    ctx.messaging.transport.publish(BROADCASTS.providerKeysChanged, JSON.stringify(msg));
  };
  const keys = new ProviderKeys(new ProviderKeyStore(ctx.ds), cipher, set, byokMetrics, keysChanged);
  const storage = createObjectStorage(config.storage);
  const copier = new OutputCopier(storage, {
    maxBytes: config.storage.maxBytes,
    retentionSeconds: config.storage.retentionSeconds,
    firstByteTimeoutMs: config.httpTimeoutMs,
    allowPrivateUrls: config.allowPrivateUrls,
    trustedOrigins: Object.values(config.providers).flatMap((p) => (p.apiKey && p.baseUrl ? [safeOrigin(p.baseUrl)] : [])).filter(Boolean),
  });
  const outputStep: OutputStep = { copier, attempts: Math.max(1, config.storage.copyAttempts) };
  ctx.metrics.collectors.push(async () => {
    const counts = await store.inFlightByProvider();
    for (const slug of new Set([...set.slugs(), ...Object.keys(counts)])) metrics.inFlight.set({ provider: slug }, counts[slug] ?? 0);
  });
  return {
    config,
    metrics,
    adapters: set,
    store,
    finisher,
    callbackUrls,
    keys,
    submit: new SubmitJobUseCase(set, store, finisher, callbackUrls, config, keys, byokMetrics),
    cancel: new CancelJobUseCase(set, store, finisher, keys),
    callbacks: new ReceiveCallbackUseCase(set, store, finisher, metrics, keys),
    poller: new JobPoller(set, store, finisher, {
      intervalMs: config.pollIntervalMs,
      leaseMs: config.pollLeaseMs,
      batchSize: config.pollBatchSize,
      concurrency: config.pollConcurrency,
      callbackFallbackPollMs: config.callbackFallbackPollMs,
      maxPollErrors: config.maxPollErrors,
      jobMaxAgeMs: config.jobMaxAgeMs,
      staleSubmissionMs: config.staleSubmissionMs,
      progressPollMs: config.progressPollMs,
    }, metrics, keys, outputStep),
    storage,
    outputStep,
    retention: new RetentionSweeper(ctx.ds, storage, config.retentionSweepMs, metrics),
  };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
