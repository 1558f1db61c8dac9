/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<any>;
}

/**
 * Runs SQL and returns its rows. TypeORM's postgres driver answers UPDATE/DELETE with
 * `[rows, rowCount]` instead of the rows; this evens that out so `… RETURNING *` reads the same everywhere.
 */
export async function rows<T = any>(db: Queryable, text: string, params: unknown[] = []): Promise<T[]> {
  const r = await db.query(text, params);
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
  return (r ?? []) as T[];
}
