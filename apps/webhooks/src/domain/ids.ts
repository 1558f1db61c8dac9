import { randomUUID } from 'node:crypto';

export type IdPrefix = 'ep' | 'msg' | 'dlv';

/** Public ids: a type prefix and 32 hex chars of randomness (`ep_…`, `msg_…`, `dlv_…`). */
export const newId = (prefix: IdPrefix): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

/** The same id, made by PostgreSQL (for rows created in bulk by one statement). */
export const sqlNewId = (prefix: IdPrefix): string => `'${prefix}_' || replace(gen_random_uuid()::text, '-', '')`;
