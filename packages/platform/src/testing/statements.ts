import type { DataSource } from 'typeorm';

/** One statement a data source sent: its text, parameters and the TypeORM query runner (none for a prepared one). */
export interface SentStatement {
  query: string;
  params: unknown[];
  runner?: unknown;
}

/**
 * For tests that count round trips or read plans: records every statement `ds` sends from now on
 * (through TypeORM, and the prepared ones of `rows(…, prepared)`, which log the same way) until `stop()`.
 */
export function recordStatements(ds: DataSource): { sent: SentStatement[]; stop(): void } {
  const sent: SentStatement[] = [];
  const logger = ds.logger;
  const original = logger.logQuery;
  logger.logQuery = (query: string, params?: unknown[], runner?: never) => {
    sent.push({ query, params: params ?? [], runner });
    return original.call(logger, query, params, runner);
  };
  return { sent, stop: () => void (logger.logQuery = original) };
}

/** PostgreSQL's plan of a recorded statement (EXPLAIN: nothing runs), one line per node. */
export async function planOf(ds: DataSource, s: SentStatement): Promise<string> {
  const lines: Array<{ 'QUERY PLAN': string }> = await ds.query(`EXPLAIN ${s.query}`, s.params);
  return lines.map((r) => r['QUERY PLAN']).join('\n');
}
