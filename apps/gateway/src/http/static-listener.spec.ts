import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { StaticAnswers } from '../edge/static-answers';
import type { RateDecision } from '../ratelimit/rate-limiter';
import { RequestLimits } from '../ratelimit/request-limits';
import { installStaticListener } from './static-listener';

/** A limiter whose answers the test chooses: held tokens (`now`), or a lease to wait for (`later`). */
class ScriptedLimiter {
  now: RateDecision | undefined;
  later: () => Promise<RateDecision> = async () => ({ allowed: true, limit: 10, remaining: 4, resetAt: 1_000, retryAfterSeconds: 1 });
  buckets: string[] = [];
  hitNow(bucket: string) {
    this.buckets.push(bucket);
    return this.now;
  }
  hit(bucket: string) {
    this.buckets.push(bucket);
    return this.later();
  }
}

describe('the static listener (answers from memory before Fastify)', () => {
  let server: Server;
  let url: string;
  let limiter: ScriptedLimiter;
  let passed: string[];
  let registry: Registry;

  const start = async (trustedProxies: string[] | false = false) => {
    const answers = new StaticAnswers();
    await answers.set('/v1/models', { data: Array.from({ length: 30 }, (_, i) => ({ id: `m${i}`, object: 'model' })) }, 'public, max-age=5');
    limiter = new ScriptedLimiter();
    passed = [];
    registry = new Registry();
    server = createServer((req, res) => {
      passed.push(`${req.method} ${req.url}`);
      res.writeHead(299).end('fastify');
    });
    installStaticListener(server, {
      answers,
      limits: new RequestLimits(limiter, 10),
      metrics: {
        served: new Counter({ name: 'served', help: 'h', labelNames: ['route', 'result'], registers: [registry] }),
        requests: new Counter({ name: 'requests', help: 'h', labelNames: ['route', 'status_code'], registers: [registry] }),
        duration: new Histogram({ name: 'duration', help: 'h', labelNames: ['method', 'route', 'status_code'], registers: [registry] }),
      },
      trustedProxies,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const call = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = get(`${url}${path}`, { headers, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
    });
  afterEach(() => new Promise((r) => server.close(r)));

  it('answers from a held token without waiting, with the rate headers, and counts the answer', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    const r = await call('/v1/models?x=1');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).data).toHaveLength(30);
    expect([r.headers['x-ratelimit-limit'], r.headers['x-ratelimit-remaining'], r.headers['x-ratelimit-reset']]).toEqual(['10', '7', '2000']);
    expect(limiter.buckets).toEqual(['ip:127.0.0.1']);
    expect(passed).toEqual([]);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/served\{route="\/v1\/models",result="ok"\} 1/);
    expect(metrics).toMatch(/requests\{route="\/v1\/models",status_code="200"\} 1/);
    expect(metrics).toMatch(/duration_count\{method="GET",route="\/v1\/models",status_code="200"\} 1/);
  });

  it('waits for a lease when no token is held; a refusal, or a failure other than connectivity, goes the ordinary way', async () => {
    await start();
    const leased = await call('/v1/models');
    expect([leased.status, leased.headers['x-ratelimit-remaining']]).toEqual([200, '4']);
    limiter.later = async () => ({ allowed: false, limit: 10, remaining: 0, resetAt: 2_000, retryAfterSeconds: 3 });
    expect((await call('/v1/models')).status).toBe(299);
    limiter.now = { allowed: false, limit: 10, remaining: 0, resetAt: 2_000, retryAfterSeconds: 3 };
    expect((await call('/v1/models')).status).toBe(299);
    limiter.now = undefined;
    limiter.later = async () => {
      throw new Error('a bug');
    };
    expect((await call('/v1/models')).status).toBe(299);
    expect(passed).toEqual(['GET /v1/models', 'GET /v1/models', 'GET /v1/models']);
  });

  it('the database unreachable: answers without a limit (as the guard does), no rate headers', async () => {
    await start();
    limiter.later = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    const r = await call('/v1/models');
    expect(r.status).toBe(200);
    expect(r.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('other methods, other paths and a trailing slash go the ordinary way', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    for (const [method, path] of [['HEAD', '/v1/models'], ['POST', '/v1/models'], ['GET', '/v1/models/'], ['GET', '/v1/engines'], ['GET', '/v1/modelsx']]) {
      expect((await call(path, {}, method)).status).toBe(299);
    }
    expect(limiter.buckets).toEqual([]);
  });

  it('the client IP is the socket’s, or with trusted proxies the last untrusted X-Forwarded-For hop (as Fastify’s req.ip)', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    await call('/v1/models', { 'x-forwarded-for': '203.0.113.9' });
    expect(limiter.buckets).toEqual(['ip:127.0.0.1']);
    await new Promise((r) => server.close(r));
    await start(['127.0.0.0/8']);
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    await call('/v1/models', { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' });
    expect(limiter.buckets).toEqual(['ip:203.0.113.9']);
  });
});
