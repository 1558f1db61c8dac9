import { runServiceMain } from '@pipevideo/platform';
import { configuredProviders } from './config';
import { startProvidersService } from './providers.service';

/** Microservices mode: one providers process on NATS, configured from the environment. */
runServiceMain('providers', 3004, (base) => startProvidersService(base), (svc) => ({ callbackBaseUrl: svc.callbackBaseUrl, configured: configuredProviders() }));
