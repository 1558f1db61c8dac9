import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingProductionSecrets } from '../config/production-secrets';
import { loadOutputStorageConfig, STORAGE_SECRETS } from './storage-config';

/** Where the disk driver's link-signing key comes from, in development and in a container. */
describe('output storage settings', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  // A data folder that cannot be created, whoever runs the test (root included): its parent is a file.
  const unwritable = () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pv-storage-')), 'a-file');
    writeFileSync(file, 'x');
    return join(file, 'data');
  };

  it('development: a key is generated once into the data folder and read back by every service of the host', () => {
    process.env.PIPEVIDEO_DATA_DIR = mkdtempSync(join(tmpdir(), 'pv-storage-'));
    delete process.env.PIPEVIDEO_STORAGE_SIGNING_KEY;
    const first = loadOutputStorageConfig().signingKey;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(loadOutputStorageConfig().signingKey).toBe(first);
  });

  it('a data folder it cannot write (a read-only container root) is a sentence naming the setting, not a crash on mkdir', () => {
    process.env.PIPEVIDEO_DATA_DIR = unwritable();
    delete process.env.PIPEVIDEO_STORAGE_SIGNING_KEY;
    expect(() => loadOutputStorageConfig()).toThrow(/PIPEVIDEO_STORAGE_SIGNING_KEY is not set and no key could be generated in .*: set PIPEVIDEO_STORAGE_SIGNING_KEY to the same random value on every service/);
    process.env.PIPEVIDEO_STORAGE_SIGNING_KEY = 'configured';
    expect(loadOutputStorageConfig().signingKey).toBe('configured');
  });

  it('S3 needs no signing key (its links are presigned): nothing is written to the disk', () => {
    process.env.PIPEVIDEO_DATA_DIR = unwritable();
    delete process.env.PIPEVIDEO_STORAGE_SIGNING_KEY;
    process.env.PIPEVIDEO_STORAGE_DRIVER = 's3';
    process.env.PIPEVIDEO_S3_BUCKET = 'outputs';
    expect(loadOutputStorageConfig()).toMatchObject({ driver: 's3', signingKey: '', s3: { bucket: 'outputs' } });
  });

  it('production on the disk driver requires the key (each replica would sign with its own); on S3 it does not', () => {
    const names = (env: NodeJS.ProcessEnv) => missingProductionSecrets(STORAGE_SECRETS, env).map((s) => s.name);
    expect(names({ NODE_ENV: 'production' })).toEqual(['PIPEVIDEO_STORAGE_SIGNING_KEY']);
    expect(names({ NODE_ENV: 'production', PIPEVIDEO_STORAGE_DRIVER: 'disk' })).toEqual(['PIPEVIDEO_STORAGE_SIGNING_KEY']);
    expect(names({ NODE_ENV: 'production', PIPEVIDEO_STORAGE_SIGNING_KEY: 'k' })).toEqual([]);
    expect(names({ NODE_ENV: 'production', PIPEVIDEO_STORAGE_DRIVER: 's3' })).toEqual([]);
    expect(names({ NODE_ENV: 'test' })).toEqual([]);
  });
});
