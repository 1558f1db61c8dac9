import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-signed links for the disk driver: `<publicUrl>/v1/files/<key>?expires=<unix>&signature=<hex>`,
 * served by the gateway, which checks the signature and the expiry before streaming the file. The
 * signature covers the key and the expiry, so neither can be changed.
 */
export class LinkSigner {
  constructor(private readonly secret: string) {
    if (secret.length < 16) throw new Error('the storage signing key must be at least 16 characters');
  }

  sign(key: string, expiresUnix: number): string {
    return createHmac('sha256', this.secret).update(`${key}\n${expiresUnix}`).digest('hex');
  }

  /** True when `signature` is ours for `key` and `expiresUnix` is not past. */
  verify(key: string, expiresUnix: number, signature: string, nowMs = Date.now()): boolean {
    if (!Number.isSafeInteger(expiresUnix) || expiresUnix * 1000 < nowMs || !/^[0-9a-f]{64}$/.test(signature)) return false;
    return timingSafeEqual(Buffer.from(this.sign(key, expiresUnix), 'hex'), Buffer.from(signature, 'hex'));
  }

  url(publicUrl: string, key: string, expiresUnix: number): string {
    const path = key.split('/').map(encodeURIComponent).join('/');
    return `${publicUrl.replace(/\/+$/, '')}/v1/files/${path}?expires=${expiresUnix}&signature=${this.sign(key, expiresUnix)}`;
  }
}
