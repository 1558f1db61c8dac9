import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { FastifyInstance } from 'fastify';
import { isDashboardBuild, registerDashboard } from './dashboard-static';

/** A built dashboard as apps/dashboard's Vite build lays it out. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pv-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div><script type="module" src="/assets/app-1a2b.js"></script>');
  writeFileSync(join(dir, 'assets/app-1a2b.js'), 'console.log(1)');
  writeFileSync(join(dir, 'routes.json'), JSON.stringify({ pages: ['/', '/keys', '/invites/*'], assets: '/assets/' }));
  return dir;
}

describe('registerDashboard', () => {
  let app: FastifyInstance;
  let base = '';
  // Over a real socket (fastify.inject's light-my-request loads an ES module jest cannot require).
  const inject = async (o: { url: string; method?: string }) => {
    const res = await fetch(`${base}${o.url}`, { method: o.method ?? 'GET' });
    const body = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body, json: () => JSON.parse(body) };
  };
  beforeAll(async () => {
    app = Fastify();
    // Routes of the API beside it: they keep answering, and unknown paths stay 404.
    app.get('/v1/models', async () => ({ object: 'list' }));
    app.get('/keys/raw', async () => ({ api: true }));
    registerDashboard(app, fakeBuild());
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('answers index.html on exactly the page paths, with the CSP and no caching', async () => {
    for (const url of ['/', '/keys', '/invites/tok_123']) {
      const r = await inject({ url });
      expect({ url, status: r.statusCode }).toEqual({ url, status: 200 });
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body).toContain('<div id="app">');
    }
  });

  it('serves the hashed assets for good, and nothing else', async () => {
    const js = await inject({ url: '/assets/app-1a2b.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await inject({ url: '/assets/../routes.json' })).statusCode).toBe(404);
  });

  it('shadows no other route: the API answers, unknown paths stay 404', async () => {
    expect((await inject({ url: '/v1/models' })).json()).toEqual({ object: 'list' });
    expect((await inject({ url: '/keys/raw' })).json()).toEqual({ api: true });
    expect((await inject({ url: '/billing-not-a-page' })).statusCode).toBe(404);
    expect((await inject({ url: '/docs' })).statusCode).toBe(404);
    expect((await inject({ method: 'POST', url: '/keys' })).statusCode).toBe(404);
  });

  it('tells a built dashboard from an empty folder', () => {
    expect(isDashboardBuild(fakeBuild())).toBe(true);
    expect(isDashboardBuild(mkdtempSync(join(tmpdir(), 'pv-empty-')))).toBe(false);
  });
});
