import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envBool, envInt, envStr } from '../config/env';
import type { RequiredSecret } from '../config/production-secrets';
import { DiskStorage } from './disk-storage';
import { LinkSigner } from './link-signer';
import type { ObjectStorage } from './object-storage';
import { S3Storage } from './s3-storage';

/**
 * Output storage and link settings, shared by every service that writes, signs or serves outputs
 * (providers copy in, the router signs links in what it answers, the gateway serves content).
 */
export interface OutputStorageConfig {
  driver: 'disk' | 's3';
  /** Disk driver: the folder (default `.pipevideo/outputs`, or `$PIPEVIDEO_DATA_DIR/outputs`). */
  dir: string;
  /** Public base URL of the gateway: disk links point at its `/v1/files/...`. */
  publicUrl: string;
  /** HMAC key of disk links (every service of a deployment must share it); unused (empty) with S3, whose links are presigned. */
  signingKey: string;
  s3?: { bucket: string; prefix: string; endpoint?: string; region: string; forcePathStyle: boolean; credentials?: { accessKeyId: string; secretAccessKey: string } };
  /** How long a stored output is kept (then deleted; the API answers 410). Default 7 days. */
  retentionSeconds: number;
  /** How long one link works (capped by the retention end, and by S3 presigning at 7 days). Default 1 hour. */
  linkTtlSeconds: number;
  /** Largest output accepted (bytes); larger fails the copy. Default 1 GiB. */
  maxBytes: number;
  /** Copy attempts before the generation fails with a refund. Default 3. */
  copyAttempts: number;
}

/** The data folder of embedded mode and of local runs (`PIPEVIDEO_DATA_DIR`, default `.pipevideo`). */
const dataDir = () => resolve(envStr('PIPEVIDEO_DATA_DIR', '.pipevideo'));

/**
 * The disk driver's signing key when none is configured: generated once into the data folder so
 * that every service on this host (and a restart) signs alike. Production sets
 * PIPEVIDEO_STORAGE_SIGNING_KEY (or uses S3, whose links are presigned with the bucket's credentials).
 */
function localSigningKey(dir: string): string {
  const file = join(dir, 'storage-signing-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('hex');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if (existsSync(file)) return readFileSync(file, 'utf8').trim(); // another service wrote it first
    // A read-only or foreign folder (a container's read-only root, an image's root-owned workdir).
    throw new Error(
      `PIPEVIDEO_STORAGE_SIGNING_KEY is not set and no key could be generated in ${dir} (${(err as NodeJS.ErrnoException).code ?? err}): ` +
        'set PIPEVIDEO_STORAGE_SIGNING_KEY to the same random value on every service (e.g. `openssl rand -hex 32`), or use PIPEVIDEO_STORAGE_DRIVER=s3',
    );
  }
}

/**
 * The key disk links are signed with. S3 needs none (its links are presigned). A production service on
 * the disk driver refuses to start without a configured one (STORAGE_SECRETS): a key generated per
 * host or container would make each replica sign with its own, and a link one hands out fail at another.
 */
function signingKeyFor(driver: 'disk' | 's3'): string {
  const configured = envStr('PIPEVIDEO_STORAGE_SIGNING_KEY', '');
  if (configured || driver === 's3') return configured;
  return localSigningKey(dataDir());
}

/** The secret every service that signs or serves disk links needs in production (runServiceMain's `secrets`). */
export const STORAGE_SECRETS: readonly RequiredSecret[] = [
  {
    name: 'PIPEVIDEO_STORAGE_SIGNING_KEY',
    why: 'signs links to stored outputs alike on every service and replica (disk driver; S3 presigns its own)',
    when: (env) => (env.PIPEVIDEO_STORAGE_DRIVER || 'disk') === 'disk',
  },
];

export function loadOutputStorageConfig(over: Partial<OutputStorageConfig> = {}): OutputStorageConfig {
  const driver = (over.driver ?? envStr('PIPEVIDEO_STORAGE_DRIVER', 'disk')) as 'disk' | 's3';
  if (driver !== 'disk' && driver !== 's3') throw new Error(`PIPEVIDEO_STORAGE_DRIVER must be disk or s3, got "${driver}"`);
  const dir = over.dir ?? envStr('PIPEVIDEO_STORAGE_DIR', join(dataDir(), 'outputs'));
  const bucket = envStr('PIPEVIDEO_S3_BUCKET', '');
  if (driver === 's3' && !bucket && !over.s3) throw new Error('PIPEVIDEO_S3_BUCKET is required with PIPEVIDEO_STORAGE_DRIVER=s3');
  const accessKeyId = envStr('PIPEVIDEO_S3_ACCESS_KEY_ID', '');
  const secretAccessKey = envStr('PIPEVIDEO_S3_SECRET_ACCESS_KEY', '');
  return {
    driver,
    dir,
    publicUrl: (over.publicUrl ?? envStr('PIPEVIDEO_PUBLIC_URL', 'http://localhost:3001')).replace(/\/+$/, ''),
    signingKey: over.signingKey ?? signingKeyFor(driver),
    s3: over.s3 ?? (driver === 's3'
      ? {
          bucket,
          prefix: envStr('PIPEVIDEO_S3_PREFIX', ''),
          endpoint: envStr('PIPEVIDEO_S3_ENDPOINT', '') || undefined,
          region: envStr('PIPEVIDEO_S3_REGION', 'us-east-1'),
          forcePathStyle: envBool('PIPEVIDEO_S3_FORCE_PATH_STYLE', false),
          ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
        }
      : undefined),
    retentionSeconds: over.retentionSeconds ?? envInt('PIPEVIDEO_OUTPUT_RETENTION_SECONDS', 7 * 24 * 3600),
    linkTtlSeconds: over.linkTtlSeconds ?? envInt('PIPEVIDEO_OUTPUT_LINK_TTL_SECONDS', 3600),
    maxBytes: over.maxBytes ?? envInt('PIPEVIDEO_OUTPUT_MAX_BYTES', 1024 * 1024 * 1024),
    copyAttempts: over.copyAttempts ?? envInt('PIPEVIDEO_OUTPUT_COPY_ATTEMPTS', 3),
  };
}

export function createObjectStorage(cfg: OutputStorageConfig): ObjectStorage {
  if (cfg.driver === 's3') return new S3Storage(cfg.s3!);
  return new DiskStorage(cfg.dir, new LinkSigner(cfg.signingKey), cfg.publicUrl);
}
