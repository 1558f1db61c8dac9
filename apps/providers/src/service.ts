import { startService, type MessagingConfig, type RunningService } from '@pipevideo/platform';
import type { ProviderAdapter } from './adapters/provider-adapter';
import { loadProvidersConfig, type ProvidersConfigInput } from './providers.config';
import { ProviderJobs1700000004000 } from './migrations/1700000004000-provider-jobs';
import { StoredOutputs1760000000000 } from './migrations/1760000000000-stored-outputs';
import { ProviderKeys1780000000000 } from './migrations/1780000000000-provider-keys';
import { CancelledAttempts1790000000000 } from './migrations/1790000000000-cancelled-attempts';
import { DueJobsIndex1790000000100 } from './migrations/1790000000100-due-jobs-index';
import { OwnKeyRefusals1800000000000 } from './migrations/1800000000000-own-key-refusals';
import { composeProviders, type ProvidersComposition } from './providers.composition';
import { ProvidersModule } from './providers.module';

export interface ProvidersServiceOptions extends ProvidersConfigInput {
  messaging: MessagingConfig;
  databaseUrl: string;
  /** HTTP port (serves the provider callbacks, /metrics, /health). 0 = random. */
  port: number;
  host?: string;
  poolSize?: number;
  /** Tests only: use these adapters instead of building them from the configuration. */
  adapters?: ProviderAdapter[];
}

export type RunningProvidersService = RunningService & {
  /** Base URL providers call back on (`…/callbacks/<provider>/<jobRef>`). */
  callbackBaseUrl: string;
  core: ProvidersComposition;
};

export const PROVIDERS_SERVICE_NAME = 'providers';
export const CALLBACK_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
export const PROVIDERS_MIGRATIONS = [ProviderJobs1700000004000, StoredOutputs1760000000000, ProviderKeys1780000000000, CancelledAttempts1790000000000, DueJobsIndex1790000000100, OwnKeyRefusals1800000000000];

/** Starts the providers service: NATS handlers, callback endpoints, poller. */
export async function startProvidersService(opts: ProvidersServiceOptions): Promise<RunningProvidersService> {
  const { messaging, databaseUrl, port, host, poolSize, adapters, ...configInput } = opts;
  const config = loadProvidersConfig(configInput);
  let core: ProvidersComposition | undefined;
  const svc = await startService({
    name: PROVIDERS_SERVICE_NAME,
    port,
    host,
    messaging,
    rawBody: true,
    // Replicate webhooks echo the prediction input, which may hold a data: image URI.
    bodyLimitBytes: CALLBACK_BODY_LIMIT_BYTES,
    db: { url: databaseUrl, migrations: PROVIDERS_MIGRATIONS, poolSize },
    module: (ctx) => {
      core = composeProviders(ctx, config, adapters);
      return ProvidersModule.forRoot(core);
    },
    afterStart: async (app) => {
      const address = app.getHttpAdapter().getInstance().server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const h = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      core!.callbackUrls.setDefault(`http://${h}:${actualPort}`);
      core!.poller.start();
      core!.retention.start();
    },
    beforeClose: async () => {
      await core?.poller.stop();
      await core?.retention.stop();
    },
  });
  return Object.assign(svc, { callbackBaseUrl: core!.callbackUrls.baseUrl, core: core! });
}
