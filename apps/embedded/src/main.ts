// First: tracing (when configured) must patch http and pg before anything loads them.
import '@pipevideo/platform/dist/observability/tracing-register';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertEnvironment, ConfigError, envInt, envStr, logger } from '@pipevideo/platform';
import { EmbeddedStartError, startLocalPostgres, LocalPostgres } from './embedded-postgres';
import { ensureLocalAccount } from './local-account';
import { startEmbeddedPlatform } from './platform';

/**
 * `pnpm start`: the whole platform in one process. PostgreSQL from embedded-postgres (data under
 * .pipevideo/), NATS when NATS_URL answers or the in-process transport otherwise, the provider
 * sandboxes, and a ready org with an API key and sandbox credits.
 */
async function main() {
  // A typo'd or invalid setting stops the platform before it starts anything, naming the variable.
  assertEnvironment();
  const dataDir = resolve(envStr('PIPEVIDEO_DATA_DIR', join(__dirname, '../../../.pipevideo')));
  mkdirSync(dataDir, { recursive: true });
  const adminToken = process.env.PIPEVIDEO_ADMIN_TOKEN ?? persistentSecret(join(dataDir, 'admin-token'));
  let pg: LocalPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    pg = await startLocalPostgres(dataDir, envInt('PIPEVIDEO_EMBEDDED_PG_PORT', 54329));
    databaseUrl = pg.url;
  }
  const gatewayPort = envInt('PORT', 3001);
  // Stored outputs live in the data folder (`outputs/`), and the disk driver's links point at this gateway.
  process.env.PIPEVIDEO_DATA_DIR ??= dataDir;
  process.env.PIPEVIDEO_PUBLIC_URL ??= `http://127.0.0.1:${gatewayPort}`;
  const platform = await startEmbeddedPlatform({
    databaseUrl,
    gatewayPort,
    internalPortBase: envInt('PIPEVIDEO_INTERNAL_PORT_BASE', 3002),
    sandboxPortBase: envInt('PIPEVIDEO_SANDBOX_PORT_BASE', 4101),
    adminToken,
  });
  const account = await ensureLocalAccount(dataDir, `http://127.0.0.1:${gatewayPort}`, adminToken, envInt('PIPEVIDEO_SANDBOX_CREDITS_CENTS', 10_000));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping Pipevideo…\n`);
    // A close that hangs must not keep the terminal (or a supervisor) waiting: PostgreSQL still goes.
    setTimeout(() => {
      process.stderr.write('Pipevideo did not close within 15 s; stopping PostgreSQL and exiting.\n');
      void (pg ? pg.stop().catch(() => undefined) : Promise.resolve()).then(() => process.exit(1));
    }, 15_000).unref();
    await platform.close();
    if (pg) await pg.stop().catch(() => undefined);
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  // embedded-postgres registers signal handlers of its own (async-exit-hook) that stop PostgreSQL at
  // once and exit with 128 + the signal: they raced the services' close, which still needs the database
  // (an e2e run saw exit 130 instead of 0). Until now they stopped PostgreSQL on a Ctrl-C during start-up;
  // from here on ours do both, in order: the platform first, then PostgreSQL.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // Forked by a supervisor (the e2e harness): stop with it, embedded PostgreSQL included.
  if (process.send) process.on('disconnect', () => void stop('parent disconnected'));

  process.stdout.write(
    [
      '',
      'Pipevideo is running (embedded mode).',
      `  Base URL:     ${platform.baseUrl}`,
      `  API key:      ${account.apiKey}   (org ${account.orgId}, sandbox credits)`,
      `  Transport:    ${platform.transport === 'nats' ? 'NATS' : 'in-process (no NATS server answered)'}`,
      `  Database:     ${pg ? `embedded PostgreSQL, data in ${pg.databaseDir}` : 'DATABASE_URL'}`,
      `  Admin token:  kept in ${join(dataDir, 'admin-token')} (or PIPEVIDEO_ADMIN_TOKEN)`,
      `  Dashboard:    ${platform.baseUrl}/   (sign up, keys, billing, usage, webhooks, playground)`,
      `  API docs:     ${platform.baseUrl}/docs`,
      `  Sign-in mail: ${platform.mail ? `${platform.mail.url}/messages?to=<your email>   (local mail sandbox, SMTP ${platform.mail.smtpUrl})` : 'sent over PIPEVIDEO_SMTP_URL'}`,
      `  OIDC:         ${platform.oidc ? `local sandbox issuer ${platform.oidc.issuer} (any email signs in)` : process.env.PIPEVIDEO_OIDC_ISSUER ?? 'not configured'}`,
      `  Stripe:       ${platform.stripeUrl ? `sandbox checkout (${platform.stripeUrl}; no card is charged)` : 'STRIPE_SECRET_KEY'}`,
      '',
      'Try it:',
      `  curl -s -X POST ${platform.baseUrl}/v1/video/generations -H "Authorization: Bearer ${account.apiKey}" \\`,
      `    -H "Content-Type: application/json" -d '{"model":"google/veo-3.1","prompt":"A cat walking on a beach at sunset"}'`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  if (process.send) process.send({ ready: true, baseUrl: platform.baseUrl, apiKey: account.apiKey, orgId: account.orgId, adminToken, mailUrl: platform.mail?.url, oidcIssuer: platform.oidc?.issuer });
}

function persistentSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token, { mode: 0o600 });
  return token;
}

main().catch((err) => {
  // One sentence a person can act on; the stack only when it is our bug, not the machine's state.
  const message = err instanceof Error && err.message ? err.message : `unexpected failure: ${String(err)}`;
  logger.fatal({ err: err instanceof EmbeddedStartError || err instanceof ConfigError ? undefined : err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'embedded platform failed to start');
  process.stderr.write(`\nPipevideo could not start. ${message}\n`);
  process.exit(1);
});
