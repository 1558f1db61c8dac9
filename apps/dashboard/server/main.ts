import { envInt, envStr, logger } from '@pipevideo/platform';
import { startDashboardServer } from './index';

/** `node apps/dashboard/dist/server/main.js`: the dashboard in front of PIPEVIDEO_API_URL (the gateway). */
async function main() {
  const apiUrl = process.env.PIPEVIDEO_API_URL;
  if (!apiUrl) {
    process.stderr.write('The dashboard needs PIPEVIDEO_API_URL: the gateway it forwards the API to, e.g. http://gateway:3001\n');
    process.exit(1);
  }
  const trusted = process.env.PIPEVIDEO_TRUSTED_PROXIES;
  const server = await startDashboardServer({ apiUrl: apiUrl.replace(/\/$/, ''), port: envInt('PORT', 3006), host: envStr('HOST', '0.0.0.0'), ...(trusted ? { trustProxy: trusted } : {}) });
  logger.info({ url: server.url, apiUrl }, 'dashboard listening');
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (process.send) process.send({ ready: true, url: server.url });
}

void main().catch((err) => {
  process.stderr.write(`dashboard failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
