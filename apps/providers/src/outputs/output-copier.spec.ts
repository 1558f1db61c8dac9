import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStorage, LinkSigner } from '@pipevideo/platform';
import { SAMPLE_MP4 } from '@pipevideo/sandboxes';
import { OutputCopier, PermanentCopyFailure } from './output-copier';

/** A file server on 127.0.0.1 answering the sample MP4. */
async function fileServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': SAMPLE_MP4.length }).end(SAMPLE_MP4));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('OutputCopier URL policy', () => {
  let dir: string;
  let a: { origin: string; server: Server };
  let b: { origin: string; server: Server };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pv-copier-'));
    [a, b] = await Promise.all([fileServer(), fileServer()]);
  });
  afterAll(() => {
    a.server.close();
    b.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const copier = () =>
    new OutputCopier(new DiskStorage(dir, new LinkSigner('copier-test-signing-key'), 'http://gw.test'), {
      maxBytes: 1 << 20,
      retentionSeconds: 60,
      firstByteTimeoutMs: 5000,
      allowPrivateUrls: false,
      trustedOrigins: [a.origin],
    });

  it("a file on a configured provider's own host is copied even when that host is private (compose's sandboxes)", async () => {
    const copied = await copier().copy({ generation_id: 'gen_a', attempt: 1, output_url: `${a.origin}/files/x.mp4`, artifact_url: null });
    expect(copied.output).toMatchObject({ key: 'outputs/gen_a/1/video.mp4', bytes: SAMPLE_MP4.length, contentType: 'video/mp4' });
  });

  it('any other private or plain-http URL is refused for good (SSRF guard)', async () => {
    await expect(copier().copy({ generation_id: 'gen_b', attempt: 1, output_url: `${b.origin}/files/x.mp4`, artifact_url: null })).rejects.toBeInstanceOf(PermanentCopyFailure);
  });

  it("a redirect is followed only to a URL the guard allows: a provider's host cannot send the copy to a private one", async () => {
    const redirecting = createServer((req, res) => res.writeHead(302, { location: req.url === '/to-b' ? `${b.origin}/files/x.mp4` : `${a.origin}/files/x.mp4` }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
    try {
      const trusting = (o: string[]) =>
        new OutputCopier(new DiskStorage(dir, new LinkSigner('copier-test-signing-key'), 'http://gw.test'), { maxBytes: 1 << 20, retentionSeconds: 60, firstByteTimeoutMs: 5000, allowPrivateUrls: false, trustedOrigins: o });
      await expect(trusting([origin, a.origin]).copy({ generation_id: 'gen_r1', attempt: 1, output_url: `${origin}/to-a`, artifact_url: null })).resolves.toMatchObject({ output: { bytes: SAMPLE_MP4.length } });
      const refused = trusting([origin, a.origin]).copy({ generation_id: 'gen_r2', attempt: 1, output_url: `${origin}/to-b`, artifact_url: null });
      await expect(refused).rejects.toBeInstanceOf(PermanentCopyFailure);
      await expect(refused).rejects.toThrow(/after 1 redirect/);
    } finally {
      redirecting.close();
    }
  });

  it('a file server that goes silent mid-body fails the copy (to be retried) instead of holding it forever', async () => {
    const stalling = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': SAMPLE_MP4.length });
      res.write(SAMPLE_MP4.subarray(0, 32)); // then nothing more
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`;
    try {
      const c = new OutputCopier(new DiskStorage(dir, new LinkSigner('copier-test-signing-key'), 'http://gw.test'), {
        maxBytes: 1 << 20, retentionSeconds: 60, firstByteTimeoutMs: 300, allowPrivateUrls: false, trustedOrigins: [origin],
      });
      const started = Date.now();
      const err = await c.copy({ generation_id: 'gen_s', attempt: 1, output_url: `${origin}/files/x.mp4`, artifact_url: null }).catch((e) => e);
      expect(err).not.toBeInstanceOf(PermanentCopyFailure);
      expect(String(err?.message)).toMatch(/sent nothing for 300 ms mid-file/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      stalling.closeAllConnections();
      stalling.close();
    }
  });

  it('an inline data: URI is decoded; one that is not base64 is refused', async () => {
    const copied = await copier().copy({ generation_id: 'gen_c', attempt: 1, output_url: `data:video/mp4;base64,${SAMPLE_MP4.toString('base64')}`, artifact_url: null });
    expect(copied.output?.bytes).toBe(SAMPLE_MP4.length);
    await expect(copier().copy({ generation_id: 'gen_d', attempt: 1, output_url: 'data:video/mp4,notbase64', artifact_url: null })).rejects.toThrow(/base64 data: URI/);
  });
});
