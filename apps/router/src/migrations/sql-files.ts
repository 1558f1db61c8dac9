import { join } from 'node:path';
import { sqlFunction } from '@pipevideo/platform';

/** The router's PL/pgSQL, one versioned file per function body (`../sql/<function>.v<N>.sql`; see docs/architecture.md). */
export const ROUTER_SQL_DIR = join(__dirname, '..', 'sql');

/** `CREATE FUNCTION` text of one version of a router function. */
export const routerSql = (name: string, version: number): string => sqlFunction(ROUTER_SQL_DIR, name, version);
