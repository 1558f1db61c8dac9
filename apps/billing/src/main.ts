import 'reflect-metadata';
import { envInt, envStr, logger } from '@pipevideo/platform';
import { startBillingService } from './start-billing-service';

/** Microservices mode: one billing process on NATS. */
async function main(): Promise<void> {
  const svc = await startBillingService({
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: envInt('PORT', 3002),
    host: envStr('HOST', '0.0.0.0'),
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'billing shutting down');
    // Never hang on the way out (e.g. a consumer draining a backlog): give close 10 s.
    setTimeout(() => {
      logger.error('billing did not close within 10 s; exiting');
      process.exit(1);
    }, 10_000).unref();
    svc.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err: String(err) }, 'billing shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  logger.fatal({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'billing failed to start');
  process.exit(1);
});
