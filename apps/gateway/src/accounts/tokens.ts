import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random secret for links, sessions and CSRF: 32 bytes, base64url (256 bits). */
export const newSecretToken = () => randomBytes(32).toString('base64url');

/** What we store of a secret: its SHA-256 (a stolen table yields no usable link or session). */
export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Constant-time comparison whatever the lengths (digests have a fixed length). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** A token as it may appear in a link: base64url of 32 bytes. Anything else is refused unhashed. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A return_to we may redirect to after sign-in: a same-origin relative path only ("/keys?x=1").
 * Refused (→ "/"): absolute URLs, scheme-relative "//evil", backslash tricks "/\\evil", control
 * characters, anything not starting with a single "/".
 */
export function safeReturnTo(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > 512) return undefined;
  if (!v.startsWith('/') || v.startsWith('//') || v.startsWith('/\\')) return undefined;
  // Control characters (CR/LF header tricks, tabs browsers strip) and backslashes (read as "/" by browsers).
  for (const ch of v) if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f || ch === '\\') return undefined;
  // Resolve against a dummy origin: whatever it resolves to must stay on that origin.
  try {
    const u = new URL(v, 'http://same.invalid');
    if (u.origin !== 'http://same.invalid') return undefined;
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return undefined;
  }
}

/** A normalised email address, or undefined when it is not one (RFC-ish: one @, a dot in the domain, no spaces). */
export function normalEmail(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const e = v.trim().toLowerCase();
  if (e.length > 254 || !/^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/.test(e)) return undefined;
  return e;
}
