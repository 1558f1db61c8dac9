import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows. TypeORM answers UPDATE/DELETE with `[rows, affectedCount]` but
 * SELECT/INSERT with `rows`; this hides the difference (rows are objects, never arrays).
 */
export async function rows<T = any>(m: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const res = await m.query(sql, params);
  if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') return res[0] as T[];
  return res as T[];
}
