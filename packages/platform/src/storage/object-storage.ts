import type { Readable } from 'node:stream';

/** What we know about a stored object. */
export interface StoredObjectInfo {
  key: string;
  bytes: number;
  contentType: string;
}

/** A byte range as HTTP asks for it (inclusive `end`), already checked against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An object (or a range of it) being read: the body streams, nothing is buffered. */
export interface ObjectStream extends StoredObjectInfo {
  body: Readable;
  /** Present when a range was read: the bytes of `body` are `[range.start, range.end]` of `bytes`. */
  range?: ByteRange;
}

/** A link to one object that works without our credentials until `expiresAt`. */
export interface SignedLink {
  url: string;
  expiresAt: Date;
}

/**
 * Where generation outputs live once we copied them in. One interface, two drivers: the local disk
 * (embedded default, `.pipevideo/outputs`) and any S3-compatible service (S3, R2, MinIO, GCS interop)
 * through the AWS SDK v3. Keys are `/`-separated paths we choose (never a customer's text).
 */
export interface ObjectStorage {
  /** `disk` or `s3`: for logs and metrics labels. */
  readonly driver: 'disk' | 's3';
  /** Writes `body` to `key` (streamed; replaces an object of the same key). */
  put(key: string, body: Readable, contentType: string): Promise<StoredObjectInfo>;
  /** Metadata, or null when there is no such object. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Reads the object (or `range` of it); null when there is no such object. */
  get(key: string, range?: ByteRange): Promise<ObjectStream | null>;
  /** Deletes the object; deleting what is not there is not an error. */
  delete(key: string): Promise<void>;
  /** A signed link that expires at `expiresAt` (S3: presigned GET; disk: HMAC-signed gateway URL). */
  signedLink(key: string, expiresAt: Date, opts?: { filename?: string; signedAt?: Date }): Promise<SignedLink>;
}

/** Keys are ours, but a key that could escape a folder or carry odd bytes is refused outright. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,511}$/.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`unsafe object key ${JSON.stringify(key)}`);
  }
}

/**
 * Parses an HTTP `Range` header (one `bytes=` range) against an object of `size` bytes. Returns the
 * range, `undefined` when there is no (usable) header, or 'unsatisfiable' (→ 416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or junk: answer the whole file (RFC 9110 allows ignoring it)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
