import { randomBytes } from 'node:crypto';
import { generateSigningSecret, SecretBox } from './secrets';

describe('signing secrets', () => {
  it('are whsec_ + base64 of 32 random bytes', () => {
    const s = generateSigningSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(s);
  });

  it('are sealed with AES-256-GCM and opened again; tampering is detected', () => {
    const box = new SecretBox(randomBytes(32).toString('hex'));
    const s = generateSigningSecret();
    const sealed = box.seal(s);
    expect(sealed).toMatch(/^enc1:/);
    expect(sealed).not.toContain(s.slice(6, 20));
    expect(box.seal(s)).not.toBe(sealed); // fresh IV each time
    expect(box.open(sealed)).toBe(s);
    const parts = sealed.split(':');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3], 'base64url').toString('latin1').slice(1), 'latin1').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => new SecretBox('another key').open(sealed)).toThrow();
  });

  it('accept hex, base64 or passphrase keys', () => {
    const raw = randomBytes(32);
    expect(SecretBox.deriveKey(raw.toString('hex'))).toEqual(raw);
    expect(SecretBox.deriveKey(raw.toString('base64'))).toEqual(raw);
    expect(SecretBox.deriveKey('correct horse battery staple')).toHaveLength(32);
  });

  it('without a key are stored in clear (development), and remain readable once a key is set', () => {
    const plain = new SecretBox('').seal('whsec_abc');
    expect(plain).toBe('plain:whsec_abc');
    expect(new SecretBox('k').open(plain)).toBe('whsec_abc');
    expect(() => new SecretBox('').open(new SecretBox('k').seal('whsec_abc'))).toThrow(/ENCRYPTION_KEY/);
  });
});
