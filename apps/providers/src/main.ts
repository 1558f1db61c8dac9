import { envInt, envStr, logger } from '@pipevideo/platform';
import { configuredProviders } from './config';
import { startProvidersService } from './providers.service';

/** Microservices mode: one providers process on NATS, configured from the environment. */
async function main(): Promise<void> {
  const svc = await startProvidersService({
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: envInt('PORT', 3004),
    host: envStr('HOST', '0.0.0.0'),
  });
  logger.info({ url: svc.url, callbackBaseUrl: svc.callbackBaseUrl, configured: configuredProviders() }, 'providers service ready');
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'providers service shutting down');
    svc
      .close()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  logger.error({ err: String(err), stack: (err as Error)?.stack }, 'providers service failed to start');
  process.exit(1);
});
