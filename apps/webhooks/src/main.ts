import { envInt, envStr, logger } from '@pipevideo/platform';
import { startWebhooksService } from './index';

/** Microservices mode: one webhooks process on NATS; configuration from the environment (see README). */
async function main() {
  const svc = await startWebhooksService({
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: envInt('PORT', 3005),
    host: envStr('HOST', '0.0.0.0'),
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'webhooks service shutting down');
    svc.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err: String(err) }, 'webhooks service did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  logger.error({ err: String(err) }, 'webhooks service failed to start');
  process.exit(1);
});
