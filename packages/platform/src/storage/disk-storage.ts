import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LinkSigner } from './link-signer';
import { assertSafeKey, type ByteRange, type ObjectStorage, type ObjectStream, type SignedLink, type StoredObjectInfo } from './object-storage';

/** Content types by extension: our keys always end in one of these (the copier chooses them). */
const TYPES: Record<string, string> = { mp4: 'video/mp4', webm: 'video/webm', json: 'application/json' };
export const contentTypeOfKey = (key: string) => TYPES[key.split('.').pop() ?? ''] ?? 'application/octet-stream';

/**
 * The embedded default: files under one folder (`.pipevideo/outputs`). A write goes to a temporary
 * name and is renamed into place, so a reader never sees half a file and a crash leaves no partial
 * object. Links point at the gateway (`/v1/files/...`), HMAC-signed. Several services on one host
 * share the folder; across hosts use the S3 driver.
 */
export class DiskStorage implements ObjectStorage {
  readonly driver = 'disk' as const;
  private readonly root: string;

  constructor(
    root: string,
    private readonly signer: LinkSigner,
    private readonly publicUrl: string,
  ) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    assertSafeKey(key);
    return join(this.root, key);
  }

  async put(key: string, body: Readable, contentType: string): Promise<StoredObjectInfo> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.part`;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const s = await stat(target);
    return { key, bytes: s.size, contentType };
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, bytes: s.size, contentType: contentTypeOfKey(key) } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | null> {
    const info = await this.head(key);
    if (!info) return null;
    const body = createReadStream(this.path(key), range ? { start: range.start, end: range.end } : {});
    return { ...info, body, ...(range ? { range } : {}) };
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async signedLink(key: string, expiresAt: Date): Promise<SignedLink> {
    assertSafeKey(key);
    const unix = Math.floor(expiresAt.getTime() / 1000);
    return { url: this.signer.url(this.publicUrl, key, unix), expiresAt: new Date(unix * 1000) };
  }

  /** The gateway's check of a disk link. */
  verify(key: string, expiresUnix: number, signature: string): boolean {
    return this.signer.verify(key, expiresUnix, signature);
  }
}
