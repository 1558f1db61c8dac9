// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { runServiceMain, STORAGE_SECRETS } from '@pipevideo/platform';
import { startGatewayService } from './service';

/** Microservices mode: one gateway process (run as many replicas as you like behind a load balancer). */
runServiceMain('gateway', 3001, (base) => startGatewayService(base), (svc) => ({ operatorApi: svc.runtime.cfg.adminToken ? 'enabled' : 'disabled' }), [
  { name: 'PIPEVIDEO_ADMIN_TOKEN', why: 'guards the operator API' },
  ...STORAGE_SECRETS,
]);
