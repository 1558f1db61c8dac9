import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { notModified, preferences, StaticAnswers, variantFor } from './static-answers';

describe('StaticAnswers', () => {
  it('keeps the body serialised with a strong ETag that changes only with the body', async () => {
    const a = new StaticAnswers();
    expect(await a.set('/v1/models', { data: [1] }, 'public, max-age=5')).toBe(true);
    const first = a.get('/v1/models')!;
    expect(first.body).toBe('{"data":[1]}');
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(await a.set('/v1/models', { data: [1] }, 'public, max-age=5')).toBe(false);
    expect(a.get('/v1/models')).toBe(first);
    expect(await a.set('/v1/models', { data: [2] }, 'public, max-age=5')).toBe(true);
    expect(a.get('/v1/models')!.etag).not.toBe(first.etag);
  });

  it('keeps gzip and brotli representations, each with its own strong ETag and headers, when they are smaller', async () => {
    const a = new StaticAnswers();
    const value = { object: 'list', data: Array.from({ length: 50 }, (_, i) => ({ id: `vendor/model-${i}`, object: 'model', owned_by: 'vendor' })) };
    await a.set('/v1/models', value, 'public, max-age=5');
    const answer = a.get('/v1/models')!;
    expect(JSON.parse(gunzipSync(answer.gzip!.body).toString('utf8'))).toEqual(value);
    expect(JSON.parse(brotliDecompressSync(answer.br!.body).toString('utf8'))).toEqual(value);
    expect(answer.br!.body.length).toBeLessThan(answer.identity.body.length);
    const tags = [answer.identity.etag, answer.gzip!.etag, answer.br!.etag];
    expect(new Set(tags).size).toBe(3);
    expect(answer.gzip!.etag).toMatch(/^"[A-Za-z0-9_-]{27}-gzip"$/);
    expect(answer.br!.etag).toMatch(/^"[A-Za-z0-9_-]{27}-br"$/);
    const headers = (h: readonly string[]) => Object.fromEntries(Array.from({ length: h.length / 2 }, (_, i) => [h[2 * i].toLowerCase(), h[2 * i + 1]]));
    expect(headers(answer.br!.headers)).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(answer.br!.body.length),
      'content-encoding': 'br',
      etag: answer.br!.etag,
      'cache-control': 'public, max-age=5',
      vary: 'Accept-Encoding',
    });
    expect(headers(answer.identity.headers)['content-encoding']).toBeUndefined();
    expect(headers(answer.gzip!.notModifiedHeaders)).toEqual({ etag: answer.gzip!.etag, 'cache-control': 'public, max-age=5', vary: 'Accept-Encoding' });

    // A change of body changes every representation's tag.
    await a.set('/v1/models', { ...value, data: value.data.slice(1) }, 'public, max-age=5');
    const next = a.get('/v1/models')!;
    for (const tag of [next.identity.etag, next.gzip!.etag, next.br!.etag]) expect(tags).not.toContain(tag);
  });

  it('keeps no compressed representation that would not be smaller (a tiny body)', async () => {
    const a = new StaticAnswers();
    await a.set('/v1/engines', { data: [] }, 'public, max-age=5');
    const answer = a.get('/v1/engines')!;
    expect([answer.gzip, answer.br]).toEqual([undefined, undefined]);
    expect(variantFor(answer, 'gzip, br')).toBe(answer.identity);
  });

  it('publishes only the last of overlapping changes', async () => {
    const a = new StaticAnswers();
    await a.set('/r', { v: 0 }, 'c');
    const older = a.set('/r', { v: 1, pad: 'x'.repeat(10_000) }, 'c');
    const newer = a.set('/r', { v: 0 }, 'c'); // back to the published body while the other compresses
    expect([await older, await newer]).toEqual([false, false]);
    expect(a.get('/r')!.body).toBe('{"v":0}');
  });

  it('If-None-Match: *, the tag, a list naming it, or its weak form', () => {
    expect(notModified(undefined, '"a"')).toBe(false);
    expect(notModified('"b"', '"a"')).toBe(false);
    expect(notModified('"a"', '"a"')).toBe(true);
    expect(notModified('"b", "a"', '"a"')).toBe(true);
    expect(notModified('W/"a"', '"a"')).toBe(true);
    expect(notModified('*', '"a"')).toBe(true);
  });

  it('Accept-Encoding: the best acceptable coding by q-value, brotli before gzip before identity on ties', () => {
    expect(preferences('gzip, deflate, br')).toEqual(['br', 'gzip', 'identity']);
    expect(preferences('gzip, deflate')).toEqual(['gzip', 'identity']);
    expect(preferences('br;q=0.5, gzip')).toEqual(['gzip', 'br', 'identity']);
    expect(preferences('GZIP;Q=1, br;q=0')).toEqual(['gzip', 'identity']);
    expect(preferences('x-gzip')).toEqual(['gzip', 'identity']);
    expect(preferences('*')).toEqual(['br', 'gzip', 'identity']);
    expect(preferences('identity')).toEqual(['identity']);
    expect(preferences('')).toEqual(['identity']);
    expect(preferences('*;q=0')).toEqual([]);
    expect(preferences('gzip, *;q=0')).toEqual(['gzip']);
    expect(preferences('identity;q=1, gzip;q=0.5')).toEqual(['identity', 'gzip']);
  });
});
