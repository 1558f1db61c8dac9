import { DomainError, ErrorCode } from '@pipevideo/contracts';

/**
 * Parsing of the usage list's query: ISO dates/timestamps and the opaque keyset cursor.
 * `from` is inclusive; `to` is exclusive for a timestamp and inclusive for a bare date
 * (`to=2025-01-31` includes all of January 31st, UTC).
 */
export const DEFAULT_USAGE_LIMIT = 50;
export const MAX_USAGE_LIMIT = 200;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function parseInstant(name: string, v: string): Date {
  const d = ISO.test(v) ? new Date(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be an ISO 8601 date or date-time, got "${v}"`);
  return d;
}

export interface UsageRange {
  from: Date | null;
  to: Date | null;
}

export function parseRange(from?: string, to?: string): UsageRange {
  const f = from ? parseInstant('from', from) : null;
  let t = to ? parseInstant('to', to) : null;
  if (t && to && DATE_ONLY.test(to)) t = new Date(t.getTime() + 24 * 3600 * 1000);
  // Beyond what a timestamp column holds (to=9999-12-31 is the whole of that day): no upper bound.
  if (t && t.getUTCFullYear() > 9999) t = null;
  if (f && t && f >= t) throw new DomainError(ErrorCode.BAD_REQUEST, 'from must be before to');
  return { from: f, to: t };
}

export function clampLimit(limit?: number): number {
  if (limit === undefined) return DEFAULT_USAGE_LIMIT;
  return Math.max(1, Math.min(MAX_USAGE_LIMIT, Math.floor(limit)));
}
