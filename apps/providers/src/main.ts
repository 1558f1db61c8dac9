// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { runServiceMain, STORAGE_SECRETS } from '@pipevideo/platform';
import { configuredProviders } from './providers.config';
import { startProvidersService } from './service';

/** Microservices mode: one providers process on NATS, configured from the environment. */
runServiceMain('providers', 3004, (base) => startProvidersService(base), (svc) => ({ callbackBaseUrl: svc.callbackBaseUrl, configured: configuredProviders() }), [
  { name: 'REPLICATE_WEBHOOK_SECRET', why: 'verifies Replicate\'s callbacks without trusting a secret fetched at run time', when: (env) => !!env.REPLICATE_API_TOKEN },
  { name: 'PIPEVIDEO_BYOK_ENCRYPTION_KEY', why: 'encrypts the provider keys orgs bring (AES-256-GCM); without it they would be readable with the public development key' },
  { name: 'PIPEVIDEO_PROVIDERS_PUBLIC_URL', why: 'the public address fal and Replicate call back', when: (env) => !!env.FAL_KEY || !!env.REPLICATE_API_TOKEN },
  ...STORAGE_SECRETS,
]);
