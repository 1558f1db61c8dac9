// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import 'reflect-metadata';
import { runServiceMain } from '@pipevideo/platform';
import { startBillingService } from './service';

/** Microservices mode: one billing process on NATS. */
runServiceMain('billing', 3002, (base) => startBillingService(base), undefined, [
  { name: 'STRIPE_WEBHOOK_SECRET', why: 'verifies Stripe\'s events before any credit is added', when: (env) => !!env.STRIPE_SECRET_KEY },
]);
