import { envInt, envStr } from '../config/env';
import { environmentProblems } from '../config/variables';
import type { MessagingConfig } from '../messaging/runtime';
import { productionSecretsProblem, type RequiredSecret } from '../config/production-secrets';
import { logger } from '../observability/logger';
import type { RunningService } from './start-service';

/** What every service's microservices-mode entry passes to its start function. */
export interface MainBase {
  messaging: MessagingConfig;
  databaseUrl: string;
  port: number;
  host: string;
}

/**
 * The `main.ts` of every service in microservices mode: check the environment (variables.ts), read
 * NATS_URL, DATABASE_URL, PORT and HOST, start, and close cleanly on SIGINT/SIGTERM (bounded, so a stuck consumer never blocks a deploy).
 */
export function runServiceMain<S extends RunningService>(
  name: string,
  defaultPort: number,
  start: (base: MainBase) => Promise<S>,
  describe: (svc: S) => Record<string, unknown> = () => ({}),
  secrets: readonly RequiredSecret[] = [],
): void {
  // A typo'd or invalid setting stops the service before it does anything, naming the variable.
  const misconfigured = environmentProblems();
  if (misconfigured.length) {
    logger.fatal({ service: name, problems: misconfigured }, `${name} refuses to start: ${misconfigured.join('; ')}`);
    process.exit(1);
  }
  const refused = productionSecretsProblem(name, secrets);
  if (refused) {
    logger.fatal({ service: name }, refused);
    process.exit(1);
  }
  // One process, one service: every log line says which.
  logger.setBindings({ service: name });
  const base: MainBase = {
    messaging: { kind: 'nats', url: envStr('NATS_URL', 'nats://127.0.0.1:4222') },
    databaseUrl: envStr('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/pipevideo'),
    port: envInt('PORT', defaultPort),
    host: envStr('HOST', '0.0.0.0'),
  };
  start(base).then(
    (svc) => {
      logger.info({ service: name, url: svc.url, ...describe(svc) }, `${name} ready`);
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        logger.info({ service: name, signal }, `${name} shutting down`);
        setTimeout(() => {
          logger.error({ service: name }, `${name} did not close within 10 s; exiting`);
          process.exit(1);
        }, 10_000).unref();
        svc.close().then(
          () => process.exit(0),
          (err) => {
            logger.error({ service: name, err: String(err) }, `${name} did not close cleanly`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      // Started by a supervisor over IPC (a test harness, a process manager): its end is ours, so a
      // killed test run never leaves services behind holding ports and database connections.
      if (process.send) process.on('disconnect', () => shutdown('parent disconnected'));
    },
    (err) => {
      logger.fatal({ service: name, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
