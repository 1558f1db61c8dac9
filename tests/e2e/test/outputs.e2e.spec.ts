/**
 * Outputs we own (issue 16), over HTTP against the whole platform and the provider sandboxes: every
 * output is copied into our storage before the generation completes (URL and inline base64 outputs,
 * Lottie artifacts), links are ours, signed and expire when they say, `…/content` streams with Range or
 * gives a fresh link, a copy that cannot be done fails the generation and refunds it, and a file past
 * its retention is deleted and answered 410 — with the disk driver (embedded default) and with the S3
 * driver against a local S3-protocol server (s3rver) started here.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { S3Storage } from '@pipevideo/platform';
import { SAMPLE_MP4 } from '@pipevideo/sandboxes';
import { ContractClient } from './harness/contract';
import { http, pollGeneration, waitFor } from './harness/http';
import { settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const download = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};

async function createVideo(p: Platform, key: string, body: Record<string, unknown>) {
  const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'google/veo-3.1', duration: 4, ...body } });
  if (r.status !== 200) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
  return pollGeneration(p.baseUrl, key, r.body.id);
}

async function pollResponse(p: Platform, key: string, id: string) {
  return waitFor(`response ${id}`, async () => {
    const r = await http('GET', `${p.baseUrl}/v1/responses/${id}`, { key });
    return ['completed', 'failed', 'incomplete', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, 60_000);
}

describe('stored outputs (disk driver, microservices mode)', () => {
  let p: Platform;
  let key: string;
  let api: ContractClient;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 50_000, 'outputs org')).key;
    api = await ContractClient.connect(p.baseUrl);
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('a completed generation serves our stored copy: signed link with a true expiry, Range, fresh links, checksum', async () => {
    if (skip) return;
    const g = await createVideo(p, key, { prompt: 'A cat walking on a beach', provider: { only: ['fal'] } });
    expect(g.status).toBe('completed');
    // Our link, not the provider's: the sandbox's file server is not named anywhere.
    expect(g.output_url.startsWith(`${p.baseUrl}/v1/files/outputs/${g.id}/`)).toBe(true);
    expect(g.output_url).not.toContain(new URL(p.sandboxes.fal.url).host);
    const now = Math.floor(Date.now() / 1000);
    expect(g.expires_at).toBeGreaterThan(now);
    expect(g.expires_at).toBeLessThanOrEqual(now + 5400 + 5); // signed in windows of the default 1-hour TTL: ½ to 1½ TTL
    expect(g.retained_until).toBeGreaterThan(now + 7 * 24 * 3600 - 120); // the default retention
    expect(g.progress).toBe(100);
    // The link works without a key, and is exactly the provider's bytes.
    const file = await download(g.output_url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect(file.body.equals(SAMPLE_MP4)).toBe(true);
    // A link changed in any way is refused.
    const forged = new URL(g.output_url);
    forged.searchParams.set('expires', String(Number(forged.searchParams.get('expires')) + 3600));
    expect((await download(forged.toString())).status).toBe(403);

    // …/content streams it with Range (players seek) and gives fresh links.
    const whole = await download(`${p.baseUrl}/v1/video/generations/${g.id}/content`, { authorization: `Bearer ${key}` });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.body.equals(SAMPLE_MP4)).toBe(true);
    const part = await download(`${p.baseUrl}/v1/video/generations/${g.id}/content`, { authorization: `Bearer ${key}`, range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${SAMPLE_MP4.length}`);
    expect(part.body.equals(SAMPLE_MP4.subarray(100, 200))).toBe(true);
    const tail = await download(`${p.baseUrl}/v1/video/generations/${g.id}/content`, { authorization: `Bearer ${key}`, range: 'bytes=-50' });
    expect(tail.body.equals(SAMPLE_MP4.subarray(SAMPLE_MP4.length - 50))).toBe(true);
    const beyond = await api.call('GET', `/v1/video/generations/${g.id}/content`, { key, headers: { range: `bytes=${SAMPLE_MP4.length}-` } });
    expect(beyond.status).toBe(416);
    const link = await api.call('GET', `/v1/video/generations/${g.id}/content?link=true`, { key });
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ object: 'output_link', content_type: 'video/mp4', bytes: SAMPLE_MP4.length, sha256: sha256(SAMPLE_MP4), retained_until: g.retained_until });
    expect(link.body.duration_seconds).toBeGreaterThan(0);
    expect((await download(link.body.url)).body.equals(SAMPLE_MP4)).toBe(true);
    // The seek works on the signed link too.
    expect((await download(link.body.url, { range: 'bytes=0-9' })).body.equals(SAMPLE_MP4.subarray(0, 10))).toBe(true);
    // OpenAI's face downloads the same stored file.
    const openai = await download(`${p.baseUrl}/v1/videos/${g.id}/content`, { authorization: `Bearer ${key}` });
    expect(openai.body.equals(SAMPLE_MP4)).toBe(true);
    // The file is in the deployment's storage, under our key.
    expect(existsSync(join(p.storageDir, new URL(g.output_url).pathname.replace(/^\/v1\/files\//, '')))).toBe(true);
  });

  it("the Vercel AI Gateway's inline (base64) video is stored and served like any other", async () => {
    if (skip) return;
    const g = await createVideo(p, key, { prompt: 'An inline cat [vercel-gateway:inline_video]', provider: { ignore: ['fal', 'replicate'] } });
    expect(g).toMatchObject({ status: 'completed', provider: 'pipevideo' });
    expect((await download(g.output_url)).body.equals(SAMPLE_MP4)).toBe(true);
  });

  it('a file server that fails twice is retried and the generation completes', async () => {
    if (skip) return;
    const g = await createVideo(p, key, { prompt: 'A patient cat [fal:file_flaky]', provider: { only: ['fal'], allow_fallbacks: false } });
    expect(g.status).toBe('completed');
    expect((await download(g.output_url)).body.equals(SAMPLE_MP4)).toBe(true);
  });

  it('an output that is not a video fails the generation and refunds it; nothing is stored', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const g = await createVideo(p, key, { prompt: 'A fake cat [fal:bad_output]', provider: { only: ['fal'], allow_fallbacks: false } });
    expect(g).toMatchObject({ status: 'failed', error_code: 'output_unavailable', output_url: null, cost_cents: null });
    expect(g.error_message).toMatch(/could not be stored/);
    const after = await settledBalance(p.baseUrl, key);
    expect(after.balance_cents).toBe(before.balance_cents);
    const content = await api.call('GET', `/v1/video/generations/${g.id}/content`, { key });
    expect(content.status).toBe(409);
    const dirOf = join(p.storageDir, 'outputs', g.id);
    expect(existsSync(dirOf) ? readdirSync(dirOf, { recursive: true }).filter((f) => String(f).includes('.')) : []).toEqual([]);
  });

  it('a Lottie response stores the video and its artifact; both are served with their links', async () => {
    if (skip) return;
    const created = await http('POST', `${p.baseUrl}/v1/responses`, { key, body: { model: 'moonshotai/kimi-k2.5', engine: 'lottie', input: 'A bouncing ball logo' } });
    expect(created.status).toBe(200);
    const r = await pollResponse(p, key, created.body.id);
    expect(r.status).toBe('completed');
    expect(r.output_video_url.startsWith(`${p.baseUrl}/v1/files/`)).toBe(true);
    expect(r.output[0].content[0].video_url).toEqual({ url: r.output_video_url, expires_at: expect.any(Number) });
    expect(r.artifact_url.url.startsWith(`${p.baseUrl}/v1/files/`)).toBe(true);
    const lottie = JSON.parse((await download(r.artifact_url.url)).body.toString('utf8'));
    expect(lottie).toMatchObject({ fr: expect.any(Number), layers: expect.any(Array) });
    const art = await download(`${p.baseUrl}/v1/responses/${r.id}/content?variant=artifact`, { authorization: `Bearer ${key}` });
    expect(art.status).toBe(200);
    expect(art.headers.get('content-type')).toBe('application/json');
    const video = await api.call('GET', `/v1/responses/${r.id}/content?link=true`, { key });
    expect(video.body).toMatchObject({ object: 'output_link', content_type: 'video/mp4', sha256: sha256(SAMPLE_MP4) });
  });

  it("another org's generation has no content for you (404)", async () => {
    if (skip) return;
    const other = (await createFundedOrg(p.baseUrl, p.adminToken, 5_000, 'other org')).key;
    const g = await createVideo(p, key, { prompt: 'A private cat', provider: { only: ['fal'] } });
    expect((await api.call('GET', `/v1/video/generations/${g.id}/content`, { key: other })).status).toBe(404);
    expect((await api.call('GET', `/v1/video/generations/${g.id}/content?link=true`, { key: other })).status).toBe(404);
  });
});

describe('retention with the S3 driver (s3rver)', () => {
  let p: Platform;
  let key: string;
  let s3: S3rver;
  let dir: string;
  let endpoint = '';
  let skip = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pv-s3rver-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'pv-outputs', configs: [] }] });
    const { address, port } = await s3.run();
    endpoint = `http://${address}:${port}`;
    ({ p, skip } = await bootMicroservices({
      env: {
        PIPEVIDEO_STORAGE_DRIVER: 's3',
        PIPEVIDEO_S3_BUCKET: 'pv-outputs',
        PIPEVIDEO_S3_ENDPOINT: endpoint,
        PIPEVIDEO_S3_FORCE_PATH_STYLE: 'true',
        PIPEVIDEO_S3_ACCESS_KEY_ID: 'S3RVER',
        PIPEVIDEO_S3_SECRET_ACCESS_KEY: 'S3RVER',
        PIPEVIDEO_OUTPUT_RETENTION_SECONDS: '4',
        PIPEVIDEO_OUTPUT_RETENTION_SWEEP_MS: '300',
      },
    }));
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 20_000, 'retention org')).key;
  }, 180_000);
  afterAll(async () => {
    await p?.stop();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('links are S3 presigned URLs; after retention the file is deleted and the API answers 410', async () => {
    if (skip) return;
    const g = await createVideo(p, key, { prompt: 'A short-lived cat', provider: { only: ['fal'] } });
    expect(g.status).toBe('completed');
    expect(g.output_url).toMatch(/X-Amz-Signature=/);
    // The link expires with retention (4 s), not after the 1-hour TTL: expires_at says so.
    expect(g.expires_at).toBeLessThanOrEqual(g.retained_until);
    const file = await download(g.output_url);
    expect(file.status).toBe(200);
    expect(file.body.equals(SAMPLE_MP4)).toBe(true);
    const key0 = new URL(g.output_url).pathname.replace(/^\/pv-outputs\//, '');
    // Past retention: the poll shows no link, …/content is a 410 that says why, the object is gone from the bucket.
    const later = await waitFor('retention to end', async () => {
      const r = await http('GET', `${p.baseUrl}/v1/video/generations/${g.id}`, { key });
      return r.body.output_url === null ? r.body : undefined;
    }, 30_000);
    expect(later).toMatchObject({ status: 'completed', expires_at: null, retained_until: g.retained_until });
    const gone = await http('GET', `${p.baseUrl}/v1/video/generations/${g.id}/content`, { key });
    expect(gone.status).toBe(410);
    expect(gone.body.error.message).toMatch(/deleted at the end of its retention/);
    const goneOpenAI = await http('GET', `${p.baseUrl}/v1/videos/${g.id}/content`, { key });
    expect(goneOpenAI.status).toBe(410);
    const bucket = new S3Storage({ bucket: 'pv-outputs', prefix: '', endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await waitFor('the object to be deleted from the bucket', async () => (await bucket.head(key0)) === null, 20_000);
  });
});
