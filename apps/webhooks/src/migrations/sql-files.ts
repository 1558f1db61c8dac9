import { join } from 'node:path';
import { sqlFunction } from '@pipevideo/platform';

/** The webhooks service's PL/pgSQL, one versioned file per function body (`../sql/<function>.v<N>.sql`; see docs/architecture.md). */
export const WEBHOOKS_SQL_DIR = join(__dirname, '..', 'sql');

/** `CREATE FUNCTION` text of one version of a webhooks function. */
export const webhooksSql = (name: string, version: number): string => sqlFunction(WEBHOOKS_SQL_DIR, name, version);
