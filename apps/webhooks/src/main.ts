// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { runServiceMain } from '@pipevideo/platform';
import { startWebhooksService } from './service';

/** Microservices mode: one webhooks process on NATS; configuration from the environment (see README). */
runServiceMain('webhooks', 3005, (base) => startWebhooksService(base), undefined, [
  { name: 'PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY', why: 'encrypts customers\' webhook signing secrets at rest' },
]);
