import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { assertSafeKey, type ByteRange, type ObjectStorage, type ObjectStream, type SignedLink, type StoredObjectInfo } from './object-storage';

export interface S3StorageConfig {
  bucket: string;
  /** Key prefix inside the bucket (e.g. `pipevideo/`), may be empty. */
  prefix: string;
  /** Custom endpoint for R2, MinIO, GCS interop or a local server; empty for AWS S3. */
  endpoint?: string;
  region: string;
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), what MinIO and most local servers need. */
  forcePathStyle: boolean;
  /** Explicit credentials; otherwise the SDK's default chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** S3 presigned URLs live at most 7 days (SigV4). */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * Any S3-compatible store through the official AWS SDK v3. Uploads stream through `lib-storage`'s
 * multipart `Upload` (parts of 8 MiB, never the whole file in memory); links are presigned GETs.
 */
export class S3Storage implements ObjectStorage {
  readonly driver = 's3' as const;
  readonly client: S3Client;

  constructor(private readonly cfg: S3StorageConfig) {
    const c: S3ClientConfig = {
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      // Checksums only where S3 requires them: S3-compatible servers do not all speak the newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
    };
    this.client = new S3Client(c);
  }

  private k(key: string): string {
    assertSafeKey(key);
    return `${this.cfg.prefix}${key}`;
  }

  async put(key: string, body: Readable, contentType: string): Promise<StoredObjectInfo> {
    let bytes = 0;
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.cfg.bucket, Key: this.k(key), Body: body, ContentType: contentType },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
    return { key, bytes, contentType };
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: this.k(key) }));
      return { key, bytes: Number(r.ContentLength ?? 0), contentType: r.ContentType ?? 'application/octet-stream' };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | null> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.k(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const total = range ? Number(/\/(\d+)$/.exec(r.ContentRange ?? '')?.[1] ?? NaN) : Number(r.ContentLength ?? 0);
      return {
        key,
        bytes: Number.isFinite(total) ? total : Number(r.ContentLength ?? 0),
        contentType: r.ContentType ?? 'application/octet-stream',
        body: r.Body as Readable,
        ...(range ? { range } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: this.k(key) }));
  }

  async signedLink(key: string, expiresAt: Date, opts: { filename?: string; signedAt?: Date } = {}): Promise<SignedLink> {
    // Signed "as of" signedAt (not after now), valid until expiresAt: the same inputs give the same URL.
    const signedAt = opts.signedAt && opts.signedAt.getTime() <= Date.now() ? opts.signedAt : new Date();
    const seconds = Math.max(1, Math.min(MAX_PRESIGN_SECONDS, Math.floor((expiresAt.getTime() - signedAt.getTime()) / 1000)));
    const cmd = new GetObjectCommand({
      Bucket: this.cfg.bucket,
      Key: this.k(key),
      ...(opts.filename ? { ResponseContentDisposition: `inline; filename="${opts.filename.replace(/[^A-Za-z0-9._-]/g, '_')}"` } : {}),
    });
    const url = await getSignedUrl(this.client, cmd, { expiresIn: seconds, signingDate: signedAt });
    return { url, expiresAt: new Date(signedAt.getTime() + seconds * 1000) };
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
