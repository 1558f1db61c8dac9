import Fastify, { type FastifyInstance } from 'fastify';
import { keyLimitPatch } from '../controllers/admin.controller';
import { invalid, requireJsonObject } from '../validation/validate';
import { ApiError, normalizeError } from './api-error';
import { installJsonParser } from './http-setup';
import { jsonBodyProblem, MAX_JSON_DEPTH } from './json-body';

describe('jsonBodyProblem', () => {
  const parsed = (raw: string) => jsonBodyProblem(JSON.parse(raw), raw);
  const nest = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

  it('accepts the limit and refuses one level more, at any depth, without overflowing itself', () => {
    expect(parsed(nest(MAX_JSON_DEPTH))).toBeUndefined(); // the outer object is level 1
    expect(parsed(nest(MAX_JSON_DEPTH + 1))).toMatch(/nested more than 64 levels deep \(at a(\.a)+\)/);
    expect(parsed(`[${nest(100_000)}]`)).toMatch(/nested more than 64 levels/);
  });

  it('names a lone surrogate in a value or a key; pairs and ordinary text pass', () => {
    expect(parsed('{"prompt":"x \\ud800 y"}')).toMatch(/^prompt holds a lone UTF-16 surrogate/);
    expect(parsed('{"input":[{"content":[{"text":"\\udfff"}]}]}')).toMatch(/^input\[0\]\.content\[0\]\.text holds/);
    expect(parsed('{"metadata":{"\\ud800":"v"}}')).toMatch(/^metadata\.\ud800 holds/);
    expect(parsed('"\\udc00"')).toMatch(/^The body holds/);
    expect(parsed('{"prompt":"a cat \\ud83d\\ude00 on a beach"}')).toBeUndefined();
    expect(parsed('{"prompt":"a cat 😀 on a beach","escaped":"\\\\ud800 is only text here"}')).toBeUndefined();
  });
});

/*
 * The parser's walk does what two walks did (jsonBodyProblem at the parser, then normalizeJsonBody in
 * requireJsonObject). The two functions as they were, verbatim, are the oracle: on thousands of
 * generated bodies the one walk names the same problem, and requireJsonObject then refuses the same NUL
 * or leaves the same object, without walking the body again.
 */
describe('one walk over a parsed body (the parser’s), the same answers as the two it replaced', () => {
  // --- the two walks as they were (http/json-body.ts and validation/validate.ts before the merge) ---
  const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const loneSurrogate = (path: string) =>
    `${path || 'The body'} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which is not valid Unicode text. Send valid UTF-8 or escape the whole pair.`;
  function previousJsonBodyProblem(value: unknown, raw: string): string | undefined {
    const checkText = SURROGATE_ESCAPE.test(raw);
    const stack: Array<[unknown, number, string]> = [[value, 1, '']];
    while (stack.length) {
      const [v, depth, path] = stack.pop()!;
      if (typeof v === 'string') {
        if (checkText && LONE_SURROGATE.test(v)) return loneSurrogate(path);
        continue;
      }
      if (v === null || typeof v !== 'object') continue;
      if (depth > MAX_JSON_DEPTH) return `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep (at ${path}). Send a flatter body.`;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, `${path}[${i}]`]);
        continue;
      }
      for (const key of Object.keys(v)) {
        const at = path ? `${path}.${key}` : key;
        if (checkText && LONE_SURROGATE.test(key)) return loneSurrogate(at);
        stack.push([(v as Record<string, unknown>)[key], depth + 1, at]);
      }
    }
    return undefined;
  }
  function previousNormalizeJsonBody(body: Record<string, unknown>): Record<string, unknown> {
    const pending: Array<{ value: object; path: string }> = [{ value: body, path: '' }];
    const nulIn = (path: string) => invalid([{ field: path || 'body', message: `${path || 'a field name'} contains a NUL character (\\u0000), which is not allowed` }]);
    while (pending.length) {
      const { value, path } = pending.pop()!;
      const isArray = Array.isArray(value);
      for (const [k, v] of Object.entries(value)) {
        const at = isArray ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        if (k.includes('\u0000')) throw nulIn(path);
        if (v === null && !isArray) delete (value as Record<string, unknown>)[k];
        else if (typeof v === 'string' && v.includes('\u0000')) throw nulIn(at);
        else if (v !== null && typeof v === 'object') pending.push({ value: v, path: at });
      }
    }
    return body;
  }
  // ---

  /** mulberry32: the same bodies on every run. */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const KEYS = ['a', 'b', 'model', 'prompt', 'x\u0000', '\u0000', 'k\ud800', '\udc00', '😀', 'n', '0'];
  const STRINGS = ['', 'v', 'a cat', 'a\u0000b', '\u0000', 'x\ud800', '\udfff', 'pair 😀', '\\u0000 only text', '\\ud800 only text'];
  const generate = (random: () => number, clean: number) => {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    // `clean` in [0, 1]: how often a key or string is an ordinary one (most bodies hold no NUL or surrogate).
    const key = () => (random() < clean ? pick(['a', 'b', 'model', 'prompt', 'n']) : pick(KEYS));
    const str = () => (random() < clean ? pick(['', 'v', 'a cat', 'pair 😀']) : pick(STRINGS));
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 0 && r < 0.2) return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [key(), value(depth - 1)]));
      if (depth > 0 && r < 0.35) return Array.from({ length: Math.floor(random() * 5) }, () => value(depth - 1));
      if (r < 0.55) return null;
      if (r < 0.85) return str();
      return r < 0.95 ? Math.floor(random() * 100) : random() < 0.5;
    };
    const body = Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 6) }, () => [key(), value(4)]));
    // Now and then a branch deeper than the limit, somewhere among the rest.
    if (random() < 0.1) {
      let deep: unknown = str();
      for (let i = 0; i < MAX_JSON_DEPTH - 1 + Math.floor(random() * 3); i++) deep = random() < 0.5 ? { [key()]: deep } : [deep];
      body[key()] = deep;
    }
    return body;
  };
  const outcome = (f: () => Record<string, unknown>) => {
    try {
      return { body: f() };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { status: err.code, message: err.message, details: err.extra.details, param: err.extra.param };
    }
  };

  it('names the same problem, refuses the same NUL and drops the same nulls, on 5,000 generated bodies', () => {
    const random = rng(0x5eed);
    const seen = { problems: 0, nuls: 0, normalized: 0, droppedNulls: 0 };
    for (let n = 0; n < 5_000; n++) {
      const raw = JSON.stringify(generate(random, n % 2 ? 0.97 : 0.6));
      const mine = JSON.parse(raw);
      const before = JSON.parse(raw);
      const problem = jsonBodyProblem(mine, raw);
      expect({ raw, problem }).toEqual({ raw, problem: previousJsonBodyProblem(before, raw) });
      if (problem) {
        seen.problems++;
        continue;
      }
      // What the parser left is the body as sent: a route reads it so before requireJsonObject.
      expect(mine).toStrictEqual(before);
      const now = outcome(() => requireJsonObject(mine));
      const then = outcome(() => previousNormalizeJsonBody(before));
      expect({ raw, now }).toStrictEqual({ raw, now: then });
      if ('message' in now) seen.nuls++;
      else {
        seen.normalized++;
        if (JSON.stringify(now.body).length < raw.length) seen.droppedNulls++;
      }
    }
    // Every path was taken many times.
    expect(Object.values(seen).every((count) => count > 200)).toBe(true);
  });

  it('requireJsonObject does not walk a body the parser walked; any other object it still walks', () => {
    const raw = '{"a":null,"b":{"c":null,"d":[null,"x"]},"e":"\\u0000"}';
    const parsed = JSON.parse(raw);
    expect(jsonBodyProblem(parsed, raw)).toBeUndefined();
    const entries = jest.spyOn(Object, 'entries');
    try {
      expect(outcome(() => requireJsonObject(parsed))).toEqual({ status: 'BAD_REQUEST', message: 'e contains a NUL character (\\u0000), which is not allowed', details: [{ field: 'e', message: 'e contains a NUL character (\\u0000), which is not allowed' }], param: 'e' });
      const clean = '{"a":null,"b":{"c":null,"d":[null,"x"]}}';
      const body = JSON.parse(clean);
      jsonBodyProblem(body, clean);
      expect(requireJsonObject(body)).toStrictEqual({ b: { d: [null, 'x'] } });
      expect(entries).not.toHaveBeenCalled();
      // Not from the parser (a multipart body, a test, a body built by another parser): walked here.
      expect(requireJsonObject({ a: null, b: { c: null, d: [null] } })).toStrictEqual({ b: { d: [null] } });
      expect(outcome(() => requireJsonObject({ prompt: 'a\u0000b' }))).toMatchObject({ param: 'prompt', message: 'prompt contains a NUL character (\\u0000), which is not allowed' });
      expect(entries).toHaveBeenCalled();
    } finally {
      entries.mockRestore();
    }
    // The routes that read nulls before requireJsonObject drops them still see them (null removes a key's limit).
    const limit = '{"limit_cents":null,"limit_reset":null}';
    const patch = JSON.parse(limit);
    jsonBodyProblem(patch, limit);
    expect(keyLimitPatch(patch)).toEqual({ limitCents: null });
    // Taken once: asked again, the (already normalized) body is walked again and stays as it is.
    const raw2 = '{"a":null,"b":1}';
    const twice = JSON.parse(raw2);
    jsonBodyProblem(twice, raw2);
    expect(requireJsonObject(twice)).toStrictEqual({ b: 1 });
    expect(requireJsonObject(twice)).toStrictEqual({ b: 1 });
  });
});

/** The parser as the gateway installs it, on a bare Fastify: a preHandler stands for the route's guards. */
describe('installJsonParser', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    installJsonParser(app);
    app.setErrorHandler((err, _req, reply) => {
      const e = normalizeError(err);
      void reply.code(e.status).send({ message: e.message, param: e.param ?? null });
    });
    app.addHook('preHandler', async (req, reply) => {
      if (req.headers.authorization !== 'Bearer ok') return reply.code(401).send({ message: 'no key' });
    });
    // As the operator API reads "null restores the default" before requireJsonObject drops nulls.
    app.post('/echo', async (req) => {
      const sentAsNull = Object.entries(req.body as object).filter(([, v]) => v === null).map(([k]) => k);
      return { sentAsNull, body: requireJsonObject(req.body) };
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());
  let url: string;
  const post = async (payload: string, authorized = true) => {
    const r = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorized ? { authorization: 'Bearer ok' } : {}) }, body: payload });
    const body = (await r.json()) as { message: string; param?: string | null };
    return { statusCode: r.status, json: () => body };
  };

  it('the route sees the nulls as sent; requireJsonObject drops them (not array elements)', async () => {
    const r = await post('{"name":"o","max_keys":null,"provider":{"order":null,"only":[null,"a"]}}');
    expect([r.statusCode, r.json()]).toEqual([200, { sentAsNull: ['max_keys'], body: { name: 'o', provider: { only: [null, 'a'] } } }]);
  });

  it('a NUL is refused where it was (by the route, after its guards); depth and lone surrogates at the parser, before them', async () => {
    const nul = '{"prompt":"ok","provider":{"order":["fal\\u0000"]}}';
    expect([(await post(nul)).statusCode, (await post(nul)).json()]).toEqual([400, { message: 'provider.order[0] contains a NUL character (\\u0000), which is not allowed', param: 'provider.order[0]' }]);
    expect((await post('{"\\u0000":1}')).json()).toEqual({ message: 'a field name contains a NUL character (\\u0000), which is not allowed', param: 'body' });
    expect((await post(nul, false)).statusCode).toBe(401);
    const deep = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
    expect([(await post(deep, false)).statusCode, (await post(deep, false)).json().message]).toEqual([400, expect.stringMatching(/nested more than 64 levels/)]);
    const lone = await post('{"prompt":"\\ud800","x":"\\u0000"}', false);
    expect([lone.statusCode, lone.json().message]).toEqual([400, expect.stringMatching(/^prompt holds a lone UTF-16 surrogate/)]);
    // A raw U+0000 (not escaped) does not parse: the walk's "only \u0000 escapes" shortcut misses nothing.
    expect((await post('{"prompt":"a\u0000b"}')).json().message).toMatch(/^Malformed JSON body/);
  });
});
