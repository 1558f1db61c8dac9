import { ID_PATTERNS } from '../orgs/ids';
import { badRequestError, notFoundError } from './api-error';

type IdKind = keyof typeof ID_PATTERNS;
const NOUN: Record<IdKind, string> = {
  org: 'Organization',
  key: 'API key',
  generation: 'Generation',
  webhookEndpoint: 'Webhook endpoint',
  webhookDelivery: 'Webhook delivery',
};

/** An id of the wrong shape cannot exist: 404 at once, without asking a downstream service. */
export function checkId(kind: IdKind, id: unknown, noun = NOUN[kind]): string {
  if (typeof id !== 'string' || !ID_PATTERNS[kind].test(id)) throw notFoundError(`${noun} not found: no ${noun.toLowerCase()} has the id ${JSON.stringify(String(id).slice(0, 80))}`);
  return id;
}

/** Optional positive integer query parameter within [1, max]. */
export function intQuery(name: string, raw: unknown, max: number, min = 1): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw badRequestError(`${name} must be an integer from ${min} to ${max}`, [{ field: name, message: `${name} must be an integer from ${min} to ${max}` }]);
  return Number(raw);
}

/** Optional string query parameter (single value, bounded length). */
export function strQuery(name: string, raw: unknown, maxLength = 256): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > maxLength)
    throw badRequestError(`${name} must be a single string of at most ${maxLength} characters`, [{ field: name, message: `${name} must be a single string of at most ${maxLength} characters` }]);
  if (raw.includes('\u0000')) throw badRequestError(`${name} contains a NUL character (\\u0000), which is not allowed`, [{ field: name, message: `${name} contains a NUL character` }]);
  return raw;
}

/** A query parameter that takes one of a few words (`?status=failed`). */
export function oneOfQuery<T extends string>(name: string, raw: unknown, allowed: readonly T[]): T | undefined {
  const s = strQuery(name, raw, 64);
  if (s === undefined) return undefined;
  if ((allowed as readonly string[]).includes(s)) return s as T;
  const message = `${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(s.slice(0, 40))})`;
  throw badRequestError(message, [{ field: name, message }]);
}

/** `YYYY-MM-DD…` names a day that exists (JavaScript would read 2025-02-30 as March 2; PostgreSQL refuses it). */
function isRealDay(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === s.slice(0, 10);
}

/** A point in time as unix seconds or ISO 8601 → ISO string. */
export function timeQuery(name: string, raw: unknown): string | undefined {
  const s = strQuery(name, raw, 64);
  if (s === undefined) return undefined;
  const d = /^\d{1,12}$/.test(s) ? new Date(Number(s) * 1000) : /^\d{4}-\d{2}-\d{2}/.test(s) && isRealDay(s) ? new Date(s) : new Date(NaN);
  // Years 1970–9999: what every store here can hold, and more than any usage query needs.
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999)
    throw badRequestError(`${name} must be a unix timestamp in seconds or an ISO 8601 date (years 1970–9999)`, [{ field: name, message: `${name} must be a unix timestamp in seconds or an ISO 8601 date (years 1970–9999)` }]);
  // A bare day stays a day: billing reads `to=2025-01-31` as the whole of that day.
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return s;
  return d.toISOString();
}

/** A boolean query parameter: `true`/`false` (also 1/0); anything else is a 400. */
export function boolQuery(name: string, raw: unknown): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  const message = `${name} must be true or false`;
  throw badRequestError(message, [{ field: name, message }]);
}
