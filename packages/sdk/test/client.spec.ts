import { Webhook } from 'standardwebhooks';
import {
  GenerationFailedError, InsufficientBalanceError, NotFoundError, Pipevideo, RateLimitError, verifyWebhook, WebhookVerificationError,
} from '../src/node';

/** A fetch that answers from a script of (method path → responses) and records what was asked. */
function scripted(answers: Array<(req: Request) => Response | undefined>) {
  const seen: Request[] = [];
  const fetchFn = async (input: string | URL | Request, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    seen.push(req);
    for (const a of answers) {
      const r = a(req);
      if (r) return r;
    }
    return new Response('{}', { status: 500 });
  };
  return { fetchFn: fetchFn as typeof fetch, seen };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const fast = { backoff: { initialMs: 1, maxMs: 2 } };

describe('Pipevideo client', () => {
  it('generate(): creates with an Idempotency-Key, polls with backoff, reports progress, returns the completed generation', async () => {
    const statuses = ['pending', 'processing', 'completed'];
    const { fetchFn, seen } = scripted([
      (r) => (r.method === 'POST' ? json(200, { id: 'gen_1', status: 'pending', model: 'm/x', created_at: 1 }) : undefined),
      () => json(200, { id: 'gen_1', status: statuses.shift(), output_url: 'https://x/y.mp4', cost_cents: 80 }),
    ]);
    const pv = new Pipevideo({ apiKey: 'pv_test', baseUrl: 'http://api.test/', fetch: fetchFn });
    const progress: Array<[string, number]> = [];
    const done = await pv.generate({ model: 'm/x', prompt: 'A cat' }, { ...fast, onProgress: (p) => progress.push([p.status, p.progress]) });
    expect(done).toMatchObject({ id: 'gen_1', status: 'completed', cost_cents: 80 });
    expect(progress).toEqual([['pending', 0], ['pending', 0], ['processing', 50], ['completed', 100]]);
    const create = seen[0];
    expect(create.url).toBe('http://api.test/v1/video/generations');
    expect(create.headers.get('authorization')).toBe('Bearer pv_test');
    expect(create.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1].url).toBe('http://api.test/v1/video/generations/gen_1');
  });

  it('generate(): a failed generation is a GenerationFailedError carrying it', async () => {
    const { fetchFn } = scripted([
      (r) => (r.method === 'POST' ? json(200, { id: 'gen_2', status: 'pending', model: 'm/x', created_at: 1 }) : undefined),
      () => json(200, { id: 'gen_2', status: 'failed', error_message: 'Provider returned failure' }),
    ]);
    const e = await new Pipevideo({ apiKey: 'pv_t', fetch: fetchFn }).generate({ model: 'm/x', prompt: 'p' }, fast).catch((x) => x);
    expect(e).toBeInstanceOf(GenerationFailedError);
    expect(e.generation.id).toBe('gen_2');
    expect(e.message).toMatch(/Provider returned failure/);
  });

  it('typed errors carry code, details and retry_after; 429s are retried after retry_after', async () => {
    let calls = 0;
    const { fetchFn } = scripted([
      (r) => (r.url.endsWith('/v1/models') && ++calls === 1 ? json(429, { error: { code: 'TOO_MANY_REQUESTS', message: 'slow down', retry_after: 0 }, retry_after: 0 }, { 'retry-after': '0' }) : undefined),
      (r) => (r.url.endsWith('/v1/models') ? json(200, { data: [{ id: 'm/x' }] }) : undefined),
      (r) => (r.url.includes('/v1/video/generations/') ? json(404, { error: { code: 'NOT_FOUND', message: 'Generation gen_x not found' } }, { 'x-correlation-id': 'req-1' }) : undefined),
      (r) => (r.method === 'POST' ? json(400, { error: { code: 'BAD_REQUEST', message: 'Insufficient balance: needs 80 cents. Add credits, then retry.' } }) : undefined),
      (r) => (r.url.endsWith('/v1/usage') ? json(429, { error: { code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' } }, { 'retry-after': '7' }) : undefined),
    ]);
    const pv = new Pipevideo({ apiKey: 'pv_t', fetch: fetchFn, maxRetries: 1 });
    expect(await pv.models()).toEqual([{ id: 'm/x' }]);
    expect(calls).toBe(2);
    const nf = await pv.getGeneration('gen_x').catch((x) => x);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf).toMatchObject({ status: 404, code: 'NOT_FOUND', requestId: 'req-1' });
    expect(await pv.createGeneration({ model: 'm/x', prompt: 'p' }).catch((x) => x)).toBeInstanceOf(InsufficientBalanceError);
    const limited = await new Pipevideo({ apiKey: 'pv_t', fetch: fetchFn, maxRetries: 0 }).usage().catch((x) => x);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.retryAfter).toBe(7);
  });

  it('an API key is required', () => {
    expect(() => new Pipevideo({ apiKey: '' })).toThrow(/API key is required/);
  });
});

describe('verifyWebhook', () => {
  const secret = `whsec_${Buffer.from('a secret of 24 bytes!!!!').toString('base64')}`;
  const body = JSON.stringify({ type: 'video.generation.completed', timestamp: new Date().toISOString(), data: { generationId: 'gen_1', status: 'completed' } });
  const signed = () => {
    const id = 'msg_1';
    const ts = new Date();
    return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, ts, body) };
  };

  it('returns the event for a genuine delivery (plain headers or a fetch Headers object)', () => {
    expect(verifyWebhook(signed(), body, secret).data).toMatchObject({ generationId: 'gen_1' });
    expect(verifyWebhook(new Headers(signed()), Buffer.from(body), secret).type).toBe('video.generation.completed');
  });

  it('refuses a tampered body, another secret or missing headers', () => {
    expect(() => verifyWebhook(signed(), body.replace('completed"}', 'failed"}'), secret)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(signed(), body, `whsec_${Buffer.from('another secret of bytes!').toString('base64')}`)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook({}, body, secret)).toThrow(WebhookVerificationError);
  });
});
