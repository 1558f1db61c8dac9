import { createHash } from 'node:crypto';

/** Key order must not change the hash: `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/** SHA-256 (hex) of a value's canonical JSON: what "the same request" means for idempotency keys. */
export function fingerprint(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
