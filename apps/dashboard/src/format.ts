/** Plain functions the pages share: money, time, amounts typed by people, where to go after signing in. */

/** Cents as dollars: 12345 → "$123.45" (negative amounts keep their sign). */
export const money = (cents: number | null | undefined) =>
  cents === null || cents === undefined ? '—' : (cents < 0 ? '-' : '') + '$' + (Math.abs(cents) / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Unix seconds as a short local date and time. */
export const when = (unix: number | null | undefined) => (unix ? new Date(unix * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** Dollars typed by a person ("25", "25.50") → cents, or undefined when empty. Throws a sentence when invalid. */
export function dollarsToCents(text: string): number | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (!/^\d+(\.\d{1,2})?$/.test(t)) throw new Error('Enter an amount in dollars, like 25 or 25.50');
  return Math.round(Number(t) * 100);
}

/**
 * Where to land after signing in: only a path of this site (one leading slash, no backslash), never the
 * sign-in page itself; anything else → /keys. The server checks return_to again (no open redirect).
 */
export function safeReturnTo(path: string) {
  return /^\/(?!\/)[^\\]*$/.test(path) && path !== '/' && path !== '/signin' ? path : '/keys';
}
