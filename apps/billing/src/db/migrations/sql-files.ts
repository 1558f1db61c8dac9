import { join } from 'node:path';
import { sqlFunction } from '@pipevideo/platform';

/** Billing's PL/pgSQL, one versioned file per function body (`../sql/<function>.v<N>.sql`; see docs/architecture.md). */
export const BILLING_SQL_DIR = join(__dirname, '..', 'sql');

/** `CREATE FUNCTION` text of one version of a billing function. */
export const billingSql = (name: string, version: number): string => sqlFunction(BILLING_SQL_DIR, name, version);
