import { badRequest } from '@pipevideo/contracts';

/**
 * Keyset pagination over (created_at, id), newest first. The cursor is opaque to callers: base64url
 * of `<created_at microseconds>|<id>`, so pages stay stable while new rows arrive.
 */
export interface PageKey {
  createdAtMicros: string;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAtMicros}|${key.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): PageKey | null {
  if (!cursor) return null;
  const [createdAtMicros, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!/^\d{1,20}$/.test(createdAtMicros ?? '') || !id) throw badRequest('cursor is not valid: pass next_cursor from the previous page');
  return { createdAtMicros, id };
}
