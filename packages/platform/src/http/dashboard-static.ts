import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** What the dashboard's build writes beside index.html (apps/dashboard/vite.config.mjs). */
interface DashboardRoutes {
  /** Page paths answered with index.html; a trailing `*` is a prefix (e.g. `/invite/*`). */
  pages: string[];
  /** Where the hashed assets live, e.g. `/assets/`. */
  assets: string;
}

/**
 * Headers of every dashboard page. The CSP allows only this origin's scripts and styles, so a name or
 * title that somehow reached the DOM as markup still runs nothing; videos may come from the providers'
 * storage (any https, or http on a local sandbox), hence media-src.
 */
export const DASHBOARD_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' https: http: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/** True when `dir` holds a built dashboard (index.html and routes.json). */
export const isDashboardBuild = (dir: string) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'routes.json'));

/**
 * Serves the built dashboard (apps/dashboard, `dist/public`) on a Fastify instance: the hashed assets,
 * and index.html for exactly the page paths the build lists. No catch-all: every other path (the API,
 * /auth, /admin, /docs, /openapi.json, unknown ones) stays with its own routes and 404s, so the dashboard
 * can sit beside the API on one origin without shadowing any of it.
 */
export function registerDashboard(fastify: FastifyInstance, dir: string): void {
  const routes = JSON.parse(readFileSync(join(dir, 'routes.json'), 'utf8')) as DashboardRoutes;
  const index = readFileSync(join(dir, 'index.html'));
  const prefix = routes.assets.endsWith('/') ? routes.assets : `${routes.assets}/`;
  // Not awaited, as the gateway registers its other plugins: the plugin queue loads at listen.
  void fastify.register(fastifyStatic, {
    root: join(dir, prefix.replace(/^\/|\/$/g, '')),
    prefix,
    // Another plugin (Swagger UI) may decorate reply.sendFile already; we need no decoration.
    decorateReply: false,
    index: false,
    // File names carry a content hash: cache them for good.
    immutable: true,
    maxAge: '365d',
  });
  const page = async (_req: unknown, reply: any) => reply.headers(DASHBOARD_PAGE_HEADERS).send(index);
  // Fastify reads a trailing `*` as a wildcard itself (/invite/<token>).
  for (const p of routes.pages) fastify.get(p, page);
}
