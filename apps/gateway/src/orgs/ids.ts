import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform base62 string (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const newOrgId = () => `org_${randomBase62(20)}`;
export const newKeyId = () => `key_${randomBase62(20)}`;

/** API key secret: `pv_` + 40 base62 chars (~238 bits). Shown once; only its SHA-256 is stored. */
export const newKeySecret = () => `pv_${randomBase62(40)}`;
export const KEY_PREFIX_LENGTH = 12;
export const keyPrefixOf = (secret: string) => secret.slice(0, KEY_PREFIX_LENGTH);
export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Shape a presented secret must have before we bother hashing it and looking it up. */
export const KEY_SECRET_PATTERN = /^pv_[A-Za-z0-9]{32,128}$/;

/** Public id formats: anything else is a 404 without a downstream call. */
export const ID_PATTERNS = {
  org: /^org_[A-Za-z0-9]{1,64}$/,
  key: /^key_[A-Za-z0-9]{1,64}$/,
  generation: /^gen_[A-Za-z0-9]{1,64}$/,
  webhookEndpoint: /^ep_[A-Za-z0-9]{1,64}$/,
  webhookDelivery: /^dlv_[A-Za-z0-9]{1,64}$/,
} as const;
