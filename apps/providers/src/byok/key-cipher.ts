import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption at rest of the provider keys orgs bring (issue 22): AES-256-GCM (node:crypto), a fresh
 * 96-bit IV per encryption, the org and provider as additional authenticated data (a ciphertext copied
 * to another org's row does not decrypt there). Every ciphertext starts with the id of the key that
 * made it, so keys rotate without re-encrypting at once: the first key of the ring encrypts, every key
 * of the ring decrypts (saving a key again moves it to the first).
 *
 * Ring format (`PIPEVIDEO_BYOK_ENCRYPTION_KEY`): `<id>:<base64 of 32 bytes>[,<id>:<base64>…]`, newest first.
 */
export interface CipherKey {
  id: string;
  key: Buffer;
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;
const VERSION = 'v1';

export class KeyCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly ring: CipherKey[]) {
    if (!ring.length) throw new Error('the BYOK key ring is empty');
    this.byId = new Map();
    for (const k of ring) {
      if (!ID.test(k.id)) throw new Error(`BYOK encryption key id ${JSON.stringify(k.id)} must be 1-32 of A-Za-z0-9_-`);
      if (k.key.length !== 32) throw new Error(`BYOK encryption key ${k.id} must be 32 bytes (base64 of 32 random bytes), got ${k.key.length}`);
      if (this.byId.has(k.id)) throw new Error(`BYOK encryption key id ${k.id} appears twice`);
      this.byId.set(k.id, k.key);
    }
  }

  /** Parses the ring from its environment form (see the class comment). */
  static fromEnv(value: string): KeyCipher {
    const ring = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf(':');
        if (at < 1) throw new Error('PIPEVIDEO_BYOK_ENCRYPTION_KEY must be "<id>:<base64 of 32 bytes>[,…]"');
        return { id: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
      });
    return new KeyCipher(ring);
  }

  /**
   * A fixed development ring (id `dev`) for runs without the variable outside production (tests,
   * embedded mode): keys stay readable across restarts and replicas, and are not secret. Production
   * refuses to start without `PIPEVIDEO_BYOK_ENCRYPTION_KEY`.
   */
  static development(): KeyCipher {
    return new KeyCipher([{ id: 'dev', key: createHash('sha256').update('pipevideo development BYOK key (not secret)').digest() }]);
  }

  /** The id of the key new ciphertexts are made with. */
  get currentKeyId(): string {
    return this.ring[0].id;
  }

  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.ring[0];
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return [VERSION, id, iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** Throws when the ciphertext was made by a key not in the ring, for another context, or was altered. */
  decrypt(ciphertext: string, context: string): string {
    const parts = ciphertext.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('not a BYOK ciphertext');
    const [, id, iv, tag, body] = parts;
    const key = this.byId.get(id);
    if (!key) throw new Error(`BYOK key ${id} is not in PIPEVIDEO_BYOK_ENCRYPTION_KEY (add it back after the new key to read older ciphertexts)`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    d.setAAD(Buffer.from(context, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
  }

  /** The key id a ciphertext was made with. */
  static keyIdOf(ciphertext: string): string | undefined {
    return ciphertext.split(':')[1];
  }
}

/** The authenticated context of an org's key for a provider. */
export function keyContext(orgId: string, provider: string): string {
  return `pipevideo-byok:${orgId}:${provider}`;
}
