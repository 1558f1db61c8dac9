import { badRequest } from '@pipevideo/contracts';

/**
 * Keyset pagination over (created_at, id), newest first, so pages stay stable while new rows arrive.
 * The cursor is opaque to callers: base64url of `<created_at as PostgreSQL prints it>|<id>` (the
 * database's own text keeps every microsecond, which a float conversion would not).
 */
export interface PageKey {
  createdAt: string;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAt}|${key.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): PageKey | null {
  if (!cursor) return null;
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || extra !== undefined || !/^\d{4}-\d{2}-\d{2} [\d:.]+[+-]\d{2}(:\d{2})?$/.test(createdAt)) {
    throw badRequest('cursor is not valid: pass next_cursor from the previous page');
  }
  return { createdAt, id };
}
