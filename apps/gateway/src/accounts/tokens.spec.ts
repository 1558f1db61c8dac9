import { normalEmail, safeReturnTo, sameSecret, TOKEN_PATTERN, newSecretToken } from './tokens';
import { hasRole } from './roles';

describe('safeReturnTo (no open redirect after sign-in)', () => {
  it.each(['/keys', '/usage?from=2026-01-01&model=a', '/billing#top', '/invites/abc_DEF-123'])('keeps the same-origin path %s', (p) => {
    expect(safeReturnTo(p)).toBe(p);
  });
  it.each([
    'https://evil.example/',
    'http://evil.example',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'keys',
    '',
    ' /keys',
    '/keys\r\nLocation: https://evil.example',
    '/\tevil',
    `/${'a'.repeat(600)}`,
  ])('refuses %j', (p) => {
    expect(safeReturnTo(p)).toBeUndefined();
  });
  it('refuses what is not a string', () => {
    expect(safeReturnTo(['/keys'])).toBeUndefined();
    expect(safeReturnTo(undefined)).toBeUndefined();
  });
});

describe('normalEmail', () => {
  it('lower-cases and trims an address', () => expect(normalEmail('  Ada@Example.COM ')).toBe('ada@example.com'));
  it.each(['ada', 'ada@', '@example.com', 'a b@example.com', 'ada@example', '<ada>@example.com', 42])('refuses %j', (e) => expect(normalEmail(e)).toBeUndefined());
});

describe('secrets and roles', () => {
  it('makes 256-bit link tokens of the documented shape, compared in constant time', () => {
    const t = newSecretToken();
    expect(t).toMatch(TOKEN_PATTERN);
    expect(newSecretToken()).not.toBe(t);
    expect(sameSecret(t, t)).toBe(true);
    expect(sameSecret(t, `${t}x`)).toBe(false);
  });
  it('orders roles owner > admin > member', () => {
    expect(hasRole('owner', 'admin')).toBe(true);
    expect(hasRole('admin', 'admin')).toBe(true);
    expect(hasRole('member', 'admin')).toBe(false);
    expect(hasRole('admin', 'owner')).toBe(false);
  });
});
