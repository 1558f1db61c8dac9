// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { logger, runServiceMain, STORAGE_SECRETS } from '@pipevideo/platform';
import { startGatewayService } from './service';

// The gateway's port is the public API's: its /metrics (route list, request and auth-failure counts)
// is everyone's to read unless the ingress keeps it in or a token guards it (docs/observability.md).
if (process.env.NODE_ENV === 'production' && !process.env.PIPEVIDEO_METRICS_TOKEN)
  logger.warn('PIPEVIDEO_METRICS_TOKEN is not set: /metrics on the gateway\'s public port answers anyone who reaches it (set it, and give Prometheus the same bearer token, or keep /metrics off the public route)');

/** Microservices mode: one gateway process (run as many replicas as you like behind a load balancer). */
runServiceMain('gateway', 3001, (base) => startGatewayService(base), (svc) => ({ operatorApi: svc.runtime.cfg.adminToken ? 'enabled' : 'disabled', metrics: process.env.PIPEVIDEO_METRICS_TOKEN ? 'bearer token required' : 'open' }), [
  { name: 'PIPEVIDEO_ADMIN_TOKEN', why: 'guards the operator API' },
  ...STORAGE_SECRETS,
]);
