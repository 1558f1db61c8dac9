import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import S3rver from 's3rver';
import { DiskStorage } from './disk-storage';
import { LinkSigner } from './link-signer';
import { MediaCheck, MediaRejected } from './media-check';
import type { ObjectStorage } from './object-storage';
import { parseRange } from './object-storage';
import { OutputLinks } from './output-links';
import { S3Storage } from './s3-storage';

/** A minimal MP4: ftyp, mdat, then moov with an mvhd of `seconds` (index after the data, as many encoders write it). */
export function tinyMp4(seconds: number, mdatBytes = 4096): Buffer {
  const box = (type: string, body: Buffer) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(8 + body.length, 0);
    h.write(type, 4, 'latin1');
    return Buffer.concat([h, body]);
  };
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(1000, 12); // timescale (v0: after version/flags, creation, modification)
  mvhd.writeUInt32BE(Math.round(seconds * 1000), 16);
  return Buffer.concat([box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2', 'latin1')), box('mdat', Buffer.alloc(mdatBytes, 7)), box('moov', box('mvhd', mvhd))]);
}

const chunked = (b: Buffer, size = 1000) => Readable.from((function* () { for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size); })());
const read = async (r: Readable) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c as Buffer); return Buffer.concat(parts); };

async function check(b: Buffer, expected: 'video' | 'lottie', max = 1 << 20) {
  const c = new MediaCheck(expected, max);
  await pipeline(chunked(b, 7), c, async function* (src) { for await (const _ of src) yield; });
  return c.facts();
}

describe('MediaCheck', () => {
  it('reads an MP4 duration from moov/mvhd after mdat, and hashes every byte', async () => {
    const mp4 = tinyMp4(4.5);
    const f = await check(mp4, 'video');
    expect(f).toEqual({ bytes: mp4.length, sha256: createHash('sha256').update(mp4).digest('hex'), container: 'mp4', contentType: 'video/mp4', durationSeconds: 4.5 });
  });
  it('refuses a file over the size cap, a non-video, an MP4 without an index, a JSON that is no Lottie', async () => {
    await expect(check(tinyMp4(2, 5000), 'video', 1000)).rejects.toBeInstanceOf(MediaRejected);
    await expect(check(Buffer.from('<html>not a video</html>'), 'video')).rejects.toThrow(/not an MP4 or WebM/);
    await expect(check(tinyMp4(2).subarray(0, 200), 'video')).rejects.toThrow(/no readable duration/);
    await expect(check(Buffer.from('{"hello":"world"}'), 'lottie')).rejects.toThrow(/not a Lottie animation/);
  });
  it('accepts a Lottie animation with its duration in seconds', async () => {
    const f = await check(Buffer.from(JSON.stringify({ v: '5.7.4', fr: 30, ip: 0, op: 60, w: 10, h: 10, layers: [] })), 'lottie');
    expect(f.container).toBe('lottie');
    expect(f.durationSeconds).toBe(2);
  });
  it('accepts WebM by its EBML header', async () => {
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(100, 1)]);
    expect((await check(webm, 'video')).container).toBe('webm');
  });
});

describe('parseRange', () => {
  it('reads single byte ranges and refuses what cannot be served', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange(undefined, 1000)).toBeUndefined();
  });
});

/** The same behaviour from both drivers: this is the contract every caller relies on. */
function driverContract(name: string, make: () => ObjectStorage, fetchLink: (url: string) => Promise<Response>) {
  describe(name, () => {
    const body = tinyMp4(3, 3 * 1024 * 1024);
    it('streams an object in, reads it whole and by range, links to it, deletes it', async () => {
      const s = make();
      const info = await s.put('outputs/gen_1/1/video.mp4', chunked(body, 64 * 1024), 'video/mp4');
      expect(info).toEqual({ key: 'outputs/gen_1/1/video.mp4', bytes: body.length, contentType: 'video/mp4' });
      expect(await s.head('outputs/gen_1/1/video.mp4')).toEqual(info);
      const whole = await s.get('outputs/gen_1/1/video.mp4');
      expect((await read(whole!.body)).equals(body)).toBe(true);
      const part = await s.get('outputs/gen_1/1/video.mp4', { start: 10, end: 109 });
      expect(part!.bytes).toBe(body.length);
      expect((await read(part!.body)).equals(body.subarray(10, 110))).toBe(true);
      const expires = new Date(Date.now() + 60_000);
      const link = await s.signedLink('outputs/gen_1/1/video.mp4', expires);
      expect(Math.abs(link.expiresAt.getTime() - expires.getTime())).toBeLessThan(2000);
      const res = await fetchLink(link.url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
      await s.delete('outputs/gen_1/1/video.mp4');
      expect(await s.head('outputs/gen_1/1/video.mp4')).toBeNull();
      expect(await s.get('outputs/gen_1/1/video.mp4')).toBeNull();
      await s.delete('outputs/gen_1/1/video.mp4');
    });
    it('refuses keys that could leave their folder', async () => {
      await expect(make().put('../escape.mp4', chunked(body), 'video/mp4')).rejects.toThrow(/unsafe object key/);
    });
  });
}

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pv-storage-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const signer = new LinkSigner('a-test-signing-key-of-some-length');
driverContract(
  'DiskStorage',
  () => new DiskStorage(join(dir, 'disk'), signer, 'http://gateway.test'),
  // The gateway serves disk links; here we check the link the way it does and read the file.
  async (url) => {
    const u = new URL(url);
    const key = decodeURIComponent(u.pathname.replace(/^\/v1\/files\//, ''));
    if (!signer.verify(key, Number(u.searchParams.get('expires')), u.searchParams.get('signature') ?? '')) return new Response('bad', { status: 403 });
    const got = await new DiskStorage(join(dir, 'disk'), signer, 'http://gateway.test').get(key);
    return new Response(await read(got!.body), { status: 200 });
  },
);

describe('LinkSigner', () => {
  it('refuses a changed key, a changed expiry, an expired link', () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const sig = signer.sign('a/b.mp4', exp);
    expect(signer.verify('a/b.mp4', exp, sig)).toBe(true);
    expect(signer.verify('a/c.mp4', exp, sig)).toBe(false);
    expect(signer.verify('a/b.mp4', exp + 1, sig)).toBe(false);
    expect(signer.verify('a/b.mp4', exp, sig, (exp + 1) * 1000)).toBe(false);
  });
});

describe('S3Storage against a local S3-protocol server (s3rver)', () => {
  let server: S3rver;
  let endpoint = '';
  beforeAll(async () => {
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'outputs', configs: [] }] });
    const { address, port } = await server.run();
    endpoint = `http://${address}:${port}`;
  });
  afterAll(async () => server?.close());
  const make = () => new S3Storage({ bucket: 'outputs', prefix: 'pv/', endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  driverContract('S3Storage', make, (url) => fetch(url));

  it('links expire at the earlier of the link TTL and the end of retention, and not at all after it', async () => {
    const links = new OutputLinks(make(), 3600);
    const now = Date.now();
    const soon = new Date(now + 120_000).toISOString();
    const l = await links.link({ key: 'a/video.mp4', retainedUntil: soon }, 'output', now);
    expect(Math.abs(l!.expiresAt.getTime() - (now + 120_000))).toBeLessThan(1000);
    const far = await links.link({ key: 'a/video.mp4', retainedUntil: new Date(now + 86_400_000).toISOString() }, 'output', now);
    // Signed in windows of the TTL: between half and one and a half TTL from now, on a window boundary.
    expect(far!.expiresAt.getTime()).toBeGreaterThanOrEqual(now + 1800_000);
    expect(far!.expiresAt.getTime()).toBeLessThanOrEqual(now + 5400_000);
    expect(far!.expiresAt.getTime() % 3600_000).toBe(0);
    // Within one window every read gets the same URL (the webhook's link is the poll's).
    const again = await links.link({ key: 'a/video.mp4', retainedUntil: new Date(now + 86_400_000).toISOString() }, 'output', now + 1500);
    expect(again!.url).toBe(far!.url);
    expect(await links.link({ key: 'a/video.mp4', retainedUntil: new Date(now - 1).toISOString() }, 'output', now)).toBeNull();
  });
});
