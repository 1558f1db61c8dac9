import { badRequest } from './errors';

/**
 * Keyset pagination over (created_at, id), newest first, shared by every list of the public API, so
 * pages stay stable while new rows arrive and rows created in the same second are never skipped.
 * The cursor is opaque to callers: base64url of `<created_at in UTC to the microsecond>|<id>` (the
 * database's own text keeps every microsecond, which a JavaScript Date would not; UTC and to_char so
 * it does not depend on the session's TimeZone or DateStyle). In SQL:
 * `SELECT …, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key … WHERE (created_at, id) < ($n::timestamptz, $m)
 * ORDER BY created_at DESC, id DESC`.
 */
export interface PageKey {
  createdAt: string;
  id: string;
}

const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-](\d{2})(:(\d{2}))?|Z)$/;
const ID = /^[A-Za-z0-9_-]{1,100}$/;

/** A timestamp PostgreSQL accepts: the pattern, and a day that exists (no 2025-02-30, no hour 24). */
function isRealTimestamp(text: string): boolean {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const daysInMonth = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  const offsetOk = m[8] === 'Z' || (Number(m[9]) <= 15 && Number(m[11] ?? 0) < 60);
  return y >= 1 && daysInMonth !== undefined && d >= 1 && d <= daysInMonth && h < 24 && mi < 60 && sec < 60 && offsetOk;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAt}|${key.id}`, 'utf8').toString('base64url');
}

/** The position a cursor names; a cursor that is not one of ours is a 400, never a database error. */
export function decodeCursor(cursor: string | undefined | null): PageKey | null {
  if (!cursor) return null;
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || extra !== undefined || !isRealTimestamp(createdAt) || !ID.test(id)) {
    throw badRequest('cursor is not valid: pass next_cursor from the previous page unchanged');
  }
  return { createdAt, id };
}

/** One page of rows fetched with `LIMIT limit + 1`: the rows to show and the cursor to the next page. */
export function pageOf<R extends { id: string; created_key: string }>(found: R[], limit: number): { rows: R[]; next_cursor: string | null } {
  const rows = found.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, next_cursor: found.length > limit && last ? encodeCursor({ createdAt: last.created_key, id: last.id }) : null };
}
