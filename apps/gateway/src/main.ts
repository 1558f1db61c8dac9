import { envStr, logger } from '@pipevideo/platform';
import { DEFAULT_HOST, DEFAULT_PORT } from './config';
import { startGatewayService } from './service';

/** Microservices mode: one gateway process (run as many replicas as you like behind a load balancer). */
async function main() {
  const svc = await startGatewayService({
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: DEFAULT_PORT(),
    host: DEFAULT_HOST(),
  });
  logger.info({ url: svc.url, operatorApi: svc.runtime.cfg.adminToken ? 'enabled' : 'disabled' }, 'gateway listening');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await svc.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
main().catch((err) => {
  logger.fatal({ err: String(err) }, 'gateway failed to start');
  process.exit(1);
});
