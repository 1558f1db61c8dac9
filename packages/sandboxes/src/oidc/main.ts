import { startOidcIssuer } from './server';

/** The OIDC sandbox as its own process (forked by startOidcSandbox): options in PIPEVIDEO_OIDC_SANDBOX, ready sent over IPC. */
async function main() {
  const opts = JSON.parse(process.env.PIPEVIDEO_OIDC_SANDBOX ?? '{}');
  const running = await startOidcIssuer(opts);
  process.send?.({ ready: true, issuer: running.issuer });
  const stop = () => void running.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

main().catch((err) => {
  process.stderr.write(`OIDC sandbox failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
