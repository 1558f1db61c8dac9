import { notModified, StaticAnswers } from './static-answers';

describe('StaticAnswers', () => {
  it('keeps the body serialised with a strong ETag that changes only with the body', () => {
    const a = new StaticAnswers();
    expect(a.set('/v1/models', { data: [1] }, 'public, max-age=5')).toBe(true);
    const first = a.get('/v1/models')!;
    expect(first.body).toBe('{"data":[1]}');
    expect(first.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(a.set('/v1/models', { data: [1] }, 'public, max-age=5')).toBe(false);
    expect(a.get('/v1/models')!.etag).toBe(first.etag);
    expect(a.set('/v1/models', { data: [2] }, 'public, max-age=5')).toBe(true);
    expect(a.get('/v1/models')!.etag).not.toBe(first.etag);
  });

  it('If-None-Match: *, the tag, a list naming it, or its weak form', () => {
    expect(notModified(undefined, '"a"')).toBe(false);
    expect(notModified('"b"', '"a"')).toBe(false);
    expect(notModified('"a"', '"a"')).toBe(true);
    expect(notModified('"b", "a"', '"a"')).toBe(true);
    expect(notModified('W/"a"', '"a"')).toBe(true);
    expect(notModified('*', '"a"')).toBe(true);
  });
});
