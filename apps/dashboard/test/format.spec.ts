import { dollarsToCents, money, safeReturnTo } from '../src/format';

describe('money', () => {
  it('shows cents as dollars with thousands separators and the sign', () => {
    expect(money(0)).toBe('$0.00');
    expect(money(2500)).toBe('$25.00');
    expect(money(123456789)).toBe('$1,234,567.89');
    expect(money(-160)).toBe('-$1.60');
    expect(money(null)).toBe('—');
  });
});

describe('dollarsToCents', () => {
  it('reads what a person types', () => {
    expect(dollarsToCents('25')).toBe(2500);
    expect(dollarsToCents(' 25.5 ')).toBe(2550);
    expect(dollarsToCents('0.07')).toBe(7);
    expect(dollarsToCents('')).toBeUndefined();
  });
  it('refuses anything else with a sentence', () => {
    for (const bad of ['-5', '1e3', '2.505', 'ten', '$5', '5,00']) expect(() => dollarsToCents(bad)).toThrow('Enter an amount in dollars');
  });
});

describe('safeReturnTo', () => {
  it('keeps paths of this site', () => {
    expect(safeReturnTo('/billing')).toBe('/billing');
    expect(safeReturnTo('/invites/tok_1')).toBe('/invites/tok_1');
  });
  it('sends everything else to /keys: other sites, protocol-relative and backslash tricks, the sign-in page', () => {
    for (const bad of ['https://evil.example', '//evil.example', '/\\evil.example', 'keys', '/', '/signin']) expect(safeReturnTo(bad)).toBe('/keys');
  });
});
