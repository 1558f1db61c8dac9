import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { lottieAnimation, parseMarkers, SAMPLE_MP4, startAllSandboxes, type SandboxSet } from '..';
import { call, fetchBytes, startsWithFtyp } from '../testing/helpers';
import { FaultBook } from './faults';

describe('media', () => {
  it('SAMPLE_MP4 is the committed sample.mp4: ftyp first, moov present, a few KB', () => {
    expect(SAMPLE_MP4.equals(readFileSync(join(__dirname, 'media', 'sample.mp4')))).toBe(true);
    expect(startsWithFtyp(SAMPLE_MP4)).toBe(true);
    const ftypSize = SAMPLE_MP4.readUInt32BE(0);
    expect(SAMPLE_MP4.toString('latin1', ftypSize + 4, ftypSize + 8)).toBe('moov');
    expect(SAMPLE_MP4.includes(Buffer.from('mdat'))).toBe(true);
    expect(SAMPLE_MP4.length).toBeLessThan(10_000);
  });

  it('lottieAnimation has the required top-level keys and one animated shape layer', () => {
    const l = lottieAnimation(300, 200);
    expect(Object.keys(l)).toEqual(expect.arrayContaining(['v', 'fr', 'ip', 'op', 'w', 'h', 'layers']));
    expect(l.w).toBe(300);
    expect(l.layers).toHaveLength(1);
    expect((l.layers[0] as any).shapes[0].it.map((x: any) => x.ty)).toEqual(['el', 'fl', 'tr']);
  });
});

describe('faults', () => {
  it('parseMarkers picks this sandbox and any, with optional =ms', () => {
    expect(parseMarkers('fal', 'x [fal:down] [replicate:slow] [any:slow=25] [fal:nonsense] [vercel-gateway:garbage]')).toEqual([
      { fault: 'down' },
      { fault: 'slow', delayMs: 25 },
    ]);
    expect(parseMarkers('vercel-gateway', '[vercel-gateway:garbage]')).toEqual([{ fault: 'garbage' }]);
  });

  it('FaultBook counts uses only for committed faults', () => {
    const b = new FaultBook('fal');
    b.add({ fault: 'down', times: 1 });
    b.add({ fault: 'bad_signature', times: 2, modelId: 'm' });
    const m1 = b.match('', ['other']);
    expect(m1.has('down')).toBe(true);
    expect(m1.has('bad_signature')).toBe(false);
    m1.commit([]);
    expect(b.list()).toHaveLength(2);
    const m2 = b.match('', ['m']);
    m2.commit(['down', 'bad_signature']);
    expect(b.list()).toEqual([{ fault: 'bad_signature', times: 1, modelId: 'm' }]);
    expect(b.take('bad_signature')).toBeDefined();
    expect(b.list()).toEqual([]);
  });
});

async function freeBase(): Promise<number> {
  // Find 4 consecutive free ports (best effort).
  for (let i = 0; i < 20; i++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(
      [0, 1, 2, 3].map(
        (k) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once('error', () => resolve(false));
            s.listen(base + k, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

describe('startAllSandboxes', () => {
  let set: SandboxSet | undefined;
  afterEach(async () => {
    await set?.close();
    set = undefined;
  });

  it('random ports: four distinct sandboxes with their names, keys and files', async () => {
    set = await startAllSandboxes({ jobDurationMs: 50 });
    const all = [set.fal, set.replicate, set.vercelGateway, set.framerate];
    expect(all.map((s) => s.name)).toEqual(['fal', 'replicate', 'vercel-gateway', 'framerate']);
    expect(all.map((s) => s.apiKey)).toEqual(['sandbox-fal-key', 'sandbox-replicate-key', 'sandbox-vercel-gateway-key', 'sandbox-framerate-key']);
    expect(new Set(all.map((s) => s.url)).size).toBe(4);
    for (const s of all) {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const mp4 = await fetchBytes(`${s.url}/files/anything.mp4`);
      expect(mp4.status).toBe(200);
      expect(mp4.contentType).toBe('video/mp4');
      expect(startsWithFtyp(mp4.buf)).toBe(true);
      const head = await fetch(`${s.url}/files/anything.mp4`, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(SAMPLE_MP4.length));
      expect((await call(`${s.url}/files/anything.lottie.json`)).json.layers).toHaveLength(1);
      expect((await call(`${s.url}/__sandbox/info`)).json.name).toBe(s.name);
    }
    expect(set.fal.jwksUrl).toBe(`${set.fal.url}/.well-known/jwks.json`);
    expect(set.replicate.webhookSecret).toMatch(/^whsec_/);
  });

  it('basePort maps fal/replicate/vercel/framerate to +0..+3; apiKeys override', async () => {
    const base = await freeBase();
    set = await startAllSandboxes({ basePort: base, apiKeys: { fal: 'my-fal' } });
    expect([set.fal.url, set.replicate.url, set.vercelGateway.url, set.framerate.url]).toEqual([0, 1, 2, 3].map((k) => `http://127.0.0.1:${base + k}`));
    expect(set.fal.apiKey).toBe('my-fal');
  });
});
