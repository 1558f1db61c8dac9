import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const uuid = (): string => randomUUID();

export function hexId(bytes = 12): string {
  return randomBytes(bytes).toString('hex');
}

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Replicate-style prediction id: 26 lowercase base32 characters. */
export function base32Id(len = 26): string {
  const b = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += B32[b[i] % 32];
  return s;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Small deterministic integer from a string (used for seeds). */
export function stableInt(s: string, mod = 2 ** 31): number {
  return parseInt(sha256Hex(s).slice(0, 8), 16) % mod;
}
