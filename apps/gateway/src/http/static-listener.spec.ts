import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
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
    for (const [method, path] of [['POST', '/v1/models'], ['PUT', '/v1/models'], ['OPTIONS', '/v1/models'], ['GET', '/v1/models/'], ['HEAD', '/v1/models/'], ['GET', '/v1/engines'], ['HEAD', '/v1/engines'], ['GET', '/v1/modelsx']]) {
      expect((await call(path, {}, method)).status).toBe(299);
    }
    expect(limiter.buckets).toEqual([]);
  });

  /** The bytes of a whole answer, read off the socket (an HTTP client would not show a body sent to a HEAD: it would read it as the next answer). */
  const rawHead = (path: string, headers: Record<string, string> = {}) =>
    new Promise<string>((resolve, reject) => {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`HEAD ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`);
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
  /** What a HEAD and a GET both carry, per-request headers apart (the correlation id is new each time). */
  const described = (headers: IncomingHttpHeaders) => {
    const { date: _date, connection: _connection, 'keep-alive': _keepAlive, 'x-correlation-id': correlationId, ...rest } = headers;
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    return rest;
  };

  it('HEAD: the GET’s status and headers (Content-Length and Content-Encoding of the same representation), no body', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    const encodings = ['', 'gzip', 'gzip, deflate, br'];
    for (const enc of encodings) {
      const headers: Record<string, string> = enc ? { 'accept-encoding': enc } : {};
      const get = await call('/v1/models', headers);
      const head = await call('/v1/models?x=1', headers, 'HEAD');
      expect([head.status, head.body]).toEqual([200, '']);
      expect(described(head.headers)).toEqual(described(get.headers));
      if (!enc) expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
      expect([head.headers.etag, head.headers['cache-control'], head.headers.vary]).toEqual([get.headers.etag, 'public, max-age=5', 'Accept-Encoding']);
      expect([head.headers['x-ratelimit-limit'], head.headers['x-ratelimit-remaining'], head.headers['x-ratelimit-reset']]).toEqual(['10', '7', '2000']);
    }
    // Each coding is its own representation: its own length, coding and tag.
    const [identity, gzip, br] = await Promise.all(encodings.map((enc) => call('/v1/models', enc ? { 'accept-encoding': enc } : {}, 'HEAD')));
    expect([identity.headers['content-encoding'], gzip.headers['content-encoding'], br.headers['content-encoding']]).toEqual([undefined, 'gzip', 'br']);
    expect(new Set([identity, gzip, br].map((r) => r.headers.etag)).size).toBe(3);
    expect(Number(br.headers['content-length'])).toBeLessThan(Number(identity.headers['content-length']));
    // Not a byte after the headers, although Content-Length says what a GET would get.
    const raw = await rawHead('/v1/models', { 'accept-encoding': 'br' });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nContent-Length: \d+\r\n/i);
    expect(raw.endsWith('\r\n\r\n')).toBe(true);
    expect(raw.indexOf('\r\n\r\n')).toBe(raw.length - 4);
    expect(passed).toEqual([]);
  });

  it('HEAD with If-None-Match naming the representation’s tag: 304 as a GET gets it', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    const br = await call('/v1/models', { 'accept-encoding': 'br' }, 'HEAD');
    const getFresh = await call('/v1/models', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! });
    const headFresh = await call('/v1/models', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! }, 'HEAD');
    expect([headFresh.status, headFresh.body]).toEqual([304, '']);
    expect(described(headFresh.headers)).toEqual(described(getFresh.headers));
    expect([headFresh.headers.etag, headFresh.headers.vary, headFresh.headers['cache-control'], headFresh.headers['content-length']]).toEqual([br.headers.etag, 'Accept-Encoding', 'public, max-age=5', undefined]);
    // Another coding's tag does not match; `*` does.
    expect((await call('/v1/models', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! }, 'HEAD')).status).toBe(200);
    expect((await call('/v1/models', { 'if-none-match': '*' }, 'HEAD')).status).toBe(304);
    expect((await rawHead('/v1/models', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).endsWith('\r\n\r\n')).toBe(true);
  });

  it('HEAD spends the client IP’s rate limit as GET does, and is counted as GET is (method HEAD)', async () => {
    await start();
    limiter.now = { allowed: true, limit: 10, remaining: 7, resetAt: 2_000, retryAfterSeconds: 3 };
    const ok = await call('/v1/models', {}, 'HEAD');
    await call('/v1/models', { 'if-none-match': ok.headers.etag! }, 'HEAD');
    await call('/v1/models');
    expect(limiter.buckets).toEqual(['ip:127.0.0.1', 'ip:127.0.0.1', 'ip:127.0.0.1']);
    // No token held: the lease is waited for; a refusal, or a failure other than connectivity, goes the ordinary way.
    limiter.now = undefined;
    expect((await call('/v1/models', {}, 'HEAD')).status).toBe(200);
    expect(limiter.buckets.length).toBeGreaterThan(3);
    expect(new Set(limiter.buckets)).toEqual(new Set(['ip:127.0.0.1']));
    limiter.later = async () => ({ allowed: false, limit: 10, remaining: 0, resetAt: 2_000, retryAfterSeconds: 3 });
    expect((await call('/v1/models', {}, 'HEAD')).status).toBe(299);
    limiter.now = { allowed: false, limit: 10, remaining: 0, resetAt: 2_000, retryAfterSeconds: 3 };
    expect((await call('/v1/models', {}, 'HEAD')).status).toBe(299);
    limiter.now = undefined;
    limiter.later = async () => {
      throw new Error('a bug');
    };
    expect((await call('/v1/models', {}, 'HEAD')).status).toBe(299);
    expect(passed).toEqual(['HEAD /v1/models', 'HEAD /v1/models', 'HEAD /v1/models']);
    // The database unreachable: answered without a limit, as a GET.
    limiter.later = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    };
    const unlimited = await call('/v1/models', {}, 'HEAD');
    expect([unlimited.status, unlimited.headers['x-ratelimit-limit']]).toEqual([200, undefined]);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/served\{route="\/v1\/models",result="ok"\} 4\n/); // 3 HEADs and the GET
    expect(metrics).toMatch(/served\{route="\/v1\/models",result="not_modified"\} 1\n/);
    expect(metrics).toMatch(/requests\{route="\/v1\/models",status_code="200"\} 4\n/);
    expect(metrics).toMatch(/requests\{route="\/v1\/models",status_code="304"\} 1\n/);
    expect(metrics).toMatch(/duration_count\{method="HEAD",route="\/v1\/models",status_code="200"\} 3\n/);
    expect(metrics).toMatch(/duration_count\{method="HEAD",route="\/v1\/models",status_code="304"\} 1\n/);
    expect(metrics).toMatch(/duration_count\{method="GET",route="\/v1\/models",status_code="200"\} 1\n/);
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
