import { envInt, envStr, logger } from '@pipevideo/platform';
import { startRouterService } from './service';

/** Microservices mode: one router process (run as many replicas as you like). */
async function main() {
  const svc = await startRouterService({
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: envInt('PORT', 3003),
    host: envStr('HOST', '0.0.0.0'),
  });
  const stop = async () => {
    await svc.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
main().catch((err) => {
  logger.fatal({ err: String(err) }, 'router failed to start');
  process.exit(1);
});
