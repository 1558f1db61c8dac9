import { randomBytes } from 'node:crypto';
import { KeyCipher, keyContext } from './key-cipher';

const ringEntry = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('KeyCipher (provider keys at rest)', () => {
  const ctx = keyContext('org_a', 'fal');

  it('round-trips a key, with a fresh IV each time and the key id in front', () => {
    const c = KeyCipher.fromEnv(ringEntry('k1'));
    const a = c.encrypt('fal-secret-1234', ctx);
    const b = c.encrypt('fal-secret-1234', ctx);
    expect(a).not.toBe(b);
    expect(a).not.toContain('fal-secret');
    expect(a.startsWith('v1:k1:')).toBe(true);
    expect(KeyCipher.keyIdOf(a)).toBe('k1');
    expect(c.decrypt(a, ctx)).toBe('fal-secret-1234');
  });

  it('binds a ciphertext to its org and provider: copied to another row it does not decrypt', () => {
    const c = KeyCipher.fromEnv(ringEntry('k1'));
    const sealed = c.encrypt('fal-secret-1234', ctx);
    expect(() => c.decrypt(sealed, keyContext('org_b', 'fal'))).toThrow();
    expect(() => c.decrypt(sealed, keyContext('org_a', 'replicate'))).toThrow();
  });

  it('refuses an altered ciphertext', () => {
    const c = KeyCipher.fromEnv(ringEntry('k1'));
    const parts = c.encrypt('fal-secret-1234', ctx).split(':');
    const body = Buffer.from(parts[4], 'base64');
    body[0] ^= 1;
    parts[4] = body.toString('base64');
    expect(() => c.decrypt(parts.join(':'), ctx)).toThrow();
  });

  it('rotates: the newest key encrypts, older keys of the ring still decrypt, a key taken out does not', () => {
    const k1 = ringEntry('k1');
    const k2 = ringEntry('k2');
    const old = KeyCipher.fromEnv(k1).encrypt('replicate-token', ctx);
    const rotated = KeyCipher.fromEnv(`${k2},${k1}`);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.decrypt(old, ctx)).toBe('replicate-token');
    expect(KeyCipher.keyIdOf(rotated.encrypt('replicate-token', ctx))).toBe('k2');
    expect(() => KeyCipher.fromEnv(k2).decrypt(old, ctx)).toThrow(/BYOK key k1 is not in PIPEVIDEO_BYOK_ENCRYPTION_KEY/);
  });

  it('refuses a malformed ring', () => {
    expect(() => KeyCipher.fromEnv('no-colon')).toThrow(/"<id>:<base64 of 32 bytes>/);
    expect(() => KeyCipher.fromEnv(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/must be 32 bytes/);
    expect(() => KeyCipher.fromEnv(`${ringEntry('k1')},${ringEntry('k1')}`)).toThrow(/appears twice/);
  });
});
