import { join } from 'node:path';
import { sqlFunction } from '@pipevideo/platform';

/** The gateway's PL/pgSQL, one versioned file per function body (`../sql/<function>.v<N>.sql`; see docs/architecture.md). */
export const GATEWAY_SQL_DIR = join(__dirname, '..', 'sql');

/** `CREATE FUNCTION` text of one version of a gateway function. */
export const gatewaySql = (name: string, version: number): string => sqlFunction(GATEWAY_SQL_DIR, name, version);
