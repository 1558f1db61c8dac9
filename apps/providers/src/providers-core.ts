import { createObjectStorage, type ObjectStorage, type ServiceContext } from '@pipevideo/platform';
import { OutputCopier } from './outputs/output-copier';
import { RetentionSweeper } from './outputs/retention-sweeper';
import type { ProviderAdapter } from './adapters/provider-adapter';
import type { ProvidersConfig } from './config';
import { AdapterSet, CallbackUrls } from './jobs/adapter-set';
import { JobFinisher } from './jobs/job-finisher';
import { JobPoller, type OutputStep } from './jobs/job-poller';
import { JobStore } from './jobs/job-store';
import { ProviderMetrics } from './metrics';
import { CancelJobUseCase } from './usecases/cancel-job/cancel-job.usecase';
import { ReceiveCallbackUseCase } from './usecases/receive-callback/receive-callback.usecase';
import { SubmitJobUseCase } from './usecases/submit-job/submit-job.usecase';

/** Everything the providers service does, as plain objects (the Nest layer only delegates to these). */
export interface ProvidersCore {
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
  storage: ObjectStorage;
  /** The copy-in step every poller of this service runs (a second poller, e.g. in tests, shares it). */
  outputStep: OutputStep;
  retention: RetentionSweeper;
}

export const PROVIDERS_CORE = Symbol('PROVIDERS_CORE');

export function createProvidersCore(ctx: ServiceContext, config: ProvidersConfig, adapters?: ProviderAdapter[]): ProvidersCore {
  const metrics = new ProviderMetrics(ctx.metrics.registry);
  const set = new AdapterSet(config, metrics, adapters);
  const store = new JobStore(ctx.ds);
  const finisher = new JobFinisher(ctx.ds, () => void ctx.relay.kick());
  const callbackUrls = new CallbackUrls(config.publicUrl);
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
    submit: new SubmitJobUseCase(set, store, callbackUrls, config),
    cancel: new CancelJobUseCase(set, store, finisher),
    callbacks: new ReceiveCallbackUseCase(set, store, finisher, metrics),
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
    }, metrics, outputStep),
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
