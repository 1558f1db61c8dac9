import { DomainError } from './errors';
import { decodeCursor, encodeCursor, pageOf } from './page-cursor';

describe('page cursor', () => {
  it('round-trips PostgreSQL and ISO timestamps with every microsecond', () => {
    for (const createdAt of ['2026-11-30 23:59:59.123456+00', '2025-01-01T00:00:00.123456Z', '2026-03-01 10:00:00+01:00', '2024-02-29T12:00:00Z']) {
      const key = { createdAt, id: 'gen_1' };
      expect(decodeCursor(encodeCursor(key))).toEqual(key);
    }
    expect(decodeCursor(undefined)).toBeNull();
    expect(decodeCursor('')).toBeNull();
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['no id', Buffer.from('2026-11-30 23:59:59+00|').toString('base64url')],
    ['extra part', Buffer.from('2026-11-30 23:59:59+00|gen_1|x').toString('base64url')],
    ['SQL in the time', Buffer.from("2026-11-30'; DROP TABLE x;--|gen_1").toString('base64url')],
    ['SQL in the id', Buffer.from("2026-11-30 23:59:59+00|gen_1' OR 1=1").toString('base64url')],
    ['a day that does not exist', Buffer.from('2025-02-30T00:00:00Z|ep_x').toString('base64url')],
    ['not a leap year', Buffer.from('2025-02-29T00:00:00Z|ep_x').toString('base64url')],
    ['hour 24', Buffer.from('2026-11-30 24:00:00+00|gen_1').toString('base64url')],
    ['month 13', Buffer.from('2026-13-01 00:00:00+00|gen_1').toString('base64url')],
    ['year 0', Buffer.from('0000-01-01 00:00:00+00|gen_1').toString('base64url')],
    ['offset out of range', Buffer.from('2026-11-30 00:00:00+16|gen_1').toString('base64url')],
  ])('refuses a forged cursor (%s) with a 400', (_name, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(DomainError);
    expect(() => decodeCursor(cursor)).toThrow(/cursor is not valid/);
  });

  it('pages rows fetched with LIMIT n + 1', () => {
    const rows = [1, 2, 3].map((i) => ({ id: `gen_${i}`, created_key: `2026-11-30 00:00:0${i}+00` }));
    const more = pageOf(rows, 2);
    expect(more.rows.map((r) => r.id)).toEqual(['gen_1', 'gen_2']);
    expect(decodeCursor(more.next_cursor)).toEqual({ createdAt: '2026-11-30 00:00:02+00', id: 'gen_2' });
    expect(pageOf(rows, 3).next_cursor).toBeNull();
  });
});
