import { join } from 'node:path';
import fastifyHttpProxy from '@fastify/http-proxy';
import Fastify, { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { isDashboardBuild, registerDashboard, ServiceMetrics } from '@pipevideo/platform';

/**
 * The paths the browser sends to the API through this server. The pages call only the public API, on
 * their own origin (so the session cookie stays first-party and SameSite=Lax/Strict works); this server
 * forwards those paths to the gateway unchanged — cookie, CSRF and org headers included.
 */
export const API_PREFIXES = ['/v1', '/auth'];

export interface DashboardServerOptions {
  /** The gateway's base URL, e.g. http://gateway:3001. */
  apiUrl: string;
  port: number;
  host?: string;
  /** The built SPA (default: this package's dist/public). */
  dir?: string;
  /** Proxy hops in front of this server (an ingress): their X-Forwarded-For is trusted and passed on. */
  trustProxy?: boolean | string;
}

export interface RunningDashboardServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Microservices mode's dashboard deployable: the SPA's pages and assets, and the API forwarded to the gateway. */
export async function startDashboardServer(o: DashboardServerOptions): Promise<RunningDashboardServer> {
  const dir = o.dir ?? join(__dirname, '../public');
  if (!isDashboardBuild(dir)) throw new Error(`${dir} holds no built dashboard (run pnpm build)`);
  const app = Fastify({ logger: false, trustProxy: o.trustProxy ?? false });
  const metrics = new ServiceMetrics('dashboard');
  const proxyErrors = new Counter({
    name: 'pipevideo_dashboard_proxy_errors_total',
    help: 'API requests the dashboard server could not forward to the gateway (answered 502/503/504)',
    labelNames: ['status_code'],
    registers: [metrics.registry],
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 502 && reply.statusCode <= 504 && API_PREFIXES.some((p) => req.url.startsWith(p))) proxyErrors.inc({ status_code: String(reply.statusCode) });
  });

  app.get('/health/live', async () => ({ status: 'ok' }));
  // Ready when the pages are built (checked above) and the gateway answers its own readiness.
  app.get('/health/ready', async (_req, reply) => {
    try {
      const r = await fetch(`${o.apiUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ok' : 'gateway not ready' });
    } catch {
      return reply.code(503).send({ status: 'gateway unreachable' });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.scrape()));

  for (const prefix of API_PREFIXES) {
    await app.register(fastifyHttpProxy, {
      upstream: o.apiUrl,
      prefix,
      rewritePrefix: prefix,
      // The gateway's per-IP limits see the browser's address when it trusts this server (PIPEVIDEO_TRUSTED_PROXIES).
      replyOptions: {
        rewriteRequestHeaders: (req, headers) => ({ ...headers, 'x-forwarded-for': [headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ') }),
      },
    });
  }
  registerDashboard(app, dir);

  await app.listen({ port: o.port, host: o.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return { url: `http://${o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1'}:${port}`, app, close: () => app.close() };
}
