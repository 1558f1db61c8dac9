// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { runServiceMain, STORAGE_SECRETS } from '@pipevideo/platform';
import { startRouterService } from './service';

/** Microservices mode: one router process (run as many replicas as you like). */
runServiceMain('router', 3003, (base) => startRouterService(base), undefined, STORAGE_SECRETS);
