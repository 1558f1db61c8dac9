import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Seals signing secrets at rest with AES-256-GCM. We must keep the secret itself (HMAC needs it),
 * so a database dump alone must not be enough to forge our signatures. Stored form:
 * `enc1:<iv>:<tag>:<ciphertext>` (base64url). Without a key the secret is stored as `plain:<secret>`
 * (development only; the service logs a warning) and such rows stay readable once a key is set.
 */
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(rawKey: string) {
    this.key = rawKey ? SecretBox.deriveKey(rawKey) : null;
  }

  get encrypts(): boolean {
    return this.key !== null;
  }

  /** 32 bytes given as 64 hex chars or base64; any other string is hashed to 32 bytes. */
  static deriveKey(raw: string): Buffer {
    if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
    const b64 = Buffer.from(raw, 'base64');
    if (b64.length === 32 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) return b64;
    return createHash('sha256').update(raw, 'utf8').digest();
  }

  seal(secret: string): string {
    if (!this.key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `enc1:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ct.toString('base64url')}`;
  }

  open(stored: string): string {
    if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
    const [scheme, iv, tag, ct] = stored.split(':');
    if (scheme !== 'enc1' || !iv || !tag || !ct) throw new Error('unknown secret storage format');
    if (!this.key) throw new Error('signing secret is encrypted but PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY is not set');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
