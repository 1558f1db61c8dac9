import { DomainError } from '@pipevideo/contracts';
import { clampLimit, parseRange } from './query';

describe('usage query parsing', () => {
  it('treats a bare `to` date as inclusive of that whole UTC day', () => {
    const r = parseRange('2025-01-01', '2025-01-31');
    expect(r.from?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(r.to?.toISOString()).toBe('2025-02-01T00:00:00.000Z');
  });

  it('keeps a timestamp `to` exclusive as given', () => {
    expect(parseRange(undefined, '2025-01-31T12:00:00Z').to?.toISOString()).toBe('2025-01-31T12:00:00.000Z');
  });

  it('refuses garbage and inverted ranges with BAD_REQUEST', () => {
    expect(() => parseRange('yesterday')).toThrow(DomainError);
    expect(() => parseRange('2025-13-45')).toThrow(/from must be an ISO 8601/);
    expect(() => parseRange('2025-02-01', '2025-01-01')).toThrow(/before/);
  });

  it('clamps the limit', () => {
    expect(clampLimit()).toBe(50);
    expect(clampLimit(0)).toBe(1);
    expect(clampLimit(10_000)).toBe(200);
  });
});
