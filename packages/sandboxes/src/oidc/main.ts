import { startOidcIssuer } from './server';

/** The OIDC sandbox as its own process (forked by startOidcSandbox): options in PIPEVIDEO_OIDC_SANDBOX, ready sent over IPC. */
async function main() {
  const opts = JSON.parse(process.env.PIPEVIDEO_OIDC_SANDBOX ?? '{}');
  const state: { running?: Awaited<ReturnType<typeof startOidcIssuer>> } = {};
  const stop = () => void (state.running?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  // Registered before the (slow) start: a parent that dies meanwhile must not leave this process behind
  // (an orphan holds its port and the parent's stdout, which keeps a test runner waiting forever).
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  const running = (state.running = await startOidcIssuer(opts));
  if (!process.connected) return stop();
  process.send?.({ ready: true, issuer: running.issuer });
}

main().catch((err) => {
  process.stderr.write(`OIDC sandbox failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
