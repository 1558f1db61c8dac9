import type { KeyLimitReset } from '@pipevideo/contracts';
import type { GenerationRow } from './generation.types';

/** The API key a generation's holds count against, with its spend limit when it has one (billing enforces it). */
export function keyOfHold(g: GenerationRow): { keyId?: string; keyLimitCents?: number; keyLimitReset?: KeyLimitReset } {
  if (!g.key_id) return {};
  if (g.key_limit_cents === null || g.key_limit_cents === undefined) return { keyId: g.key_id };
  return { keyId: g.key_id, keyLimitCents: Number(g.key_limit_cents), keyLimitReset: g.key_limit_reset ?? 'none' };
}
