'use strict';
/**
 * Runs the four provider sandboxes (packages/sandboxes) in one container for the docker compose stack.
 * Copied into the `sandboxes` stage of apps/providers/Dockerfile, next to the deployed package.
 *
 * Why not `startAllSandboxes({ host: '0.0.0.0' })`: a sandbox writes its own base URL into its answers
 * (fal's response_url/status_url, file URLs), and when it listens on 0.0.0.0 it advertises 127.0.0.1,
 * which other containers cannot reach. Each sandbox is started here with `publicUrl` set to the compose
 * DNS name instead, and with a fixed Replicate webhook secret that the providers service is given too.
 *
 * Environment (all optional):
 *   SANDBOX_PUBLIC_HOST   name other containers use to reach this one (default: sandboxes)
 *   SANDBOX_BASE_PORT     fal = base, replicate = +1, vercel-gateway = +2, framerate = +3 (default 4101)
 *   SANDBOX_JOB_DURATION_MS  how long a job takes (default 3000)
 *   FAL_KEY, REPLICATE_API_TOKEN, AI_GATEWAY_API_KEY, FRAMERATE_API_KEY  the one key each accepts
 *   REPLICATE_WEBHOOK_SECRET  whsec_… used to sign Replicate webhooks
 */
const sandboxes = require('./');

const env = (name, fallback) => (process.env[name] && process.env[name].trim()) || fallback;
const host = env('SANDBOX_PUBLIC_HOST', 'sandboxes');
const basePort = Number(env('SANDBOX_BASE_PORT', '4101'));
const jobDurationMs = Number(env('SANDBOX_JOB_DURATION_MS', '3000'));

function options(offset, apiKey) {
  const port = basePort + offset;
  return { host: '0.0.0.0', port, publicUrl: `http://${host}:${port}`, jobDurationMs, apiKey };
}

async function main() {
  const started = [];
  const stop = async () => {
    await Promise.allSettled(started.map((s) => s.close()));
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  started.push(await sandboxes.startFalSandbox(options(0, env('FAL_KEY', 'sandbox-fal-key'))));
  started.push(
    await sandboxes.startReplicateSandbox({
      ...options(1, env('REPLICATE_API_TOKEN', 'sandbox-replicate-key')),
      webhookSecret: env('REPLICATE_WEBHOOK_SECRET', undefined),
    }),
  );
  started.push(await sandboxes.startVercelGatewaySandbox(options(2, env('AI_GATEWAY_API_KEY', 'sandbox-vercel-gateway-key'))));
  started.push(await sandboxes.startFramerateSandbox(options(3, env('FRAMERATE_API_KEY', 'sandbox-framerate-key'))));

  // One JSON line per sandbox, like the services' pino logs. Keys are never printed.
  for (const s of started) {
    process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), service: 'sandboxes', sandbox: s.name, url: s.url, msg: 'sandbox listening' }) + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(JSON.stringify({ level: 60, time: Date.now(), service: 'sandboxes', err: String(err && err.stack || err), msg: 'sandboxes failed to start' }) + '\n');
  process.exit(1);
});
