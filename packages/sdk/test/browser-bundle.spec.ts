import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';

/**
 * The browser entry bundles for the browser (a Node-only import fails the build: esbuild has no
 * `node:fs` there) and runs where only browser globals exist — no require, process or Buffer.
 */
describe('browser entry', () => {
  const bundle = () =>
    buildSync({ entryPoints: [join(__dirname, '../src/index.ts')], bundle: true, platform: 'browser', format: 'iife', globalName: 'PipevideoSDK', write: false, logLevel: 'silent' }).outputFiles[0].text;

  it('bundles without Node built-ins', () => {
    expect(bundle()).not.toMatch(/require\(["']node:/);
  });

  it('runs generate() in a context with browser globals only', async () => {
    const statuses = ['processing', 'completed'];
    const fetchStub = async (input: Request) =>
      input.method === 'POST'
        ? new Response(JSON.stringify({ id: 'gen_b', status: 'pending', model: 'm/x', created_at: 1 }), { status: 200, headers: { 'content-type': 'application/json' } })
        : new Response(JSON.stringify({ id: 'gen_b', status: statuses.shift() }), { status: 200, headers: { 'content-type': 'application/json' } });
    const browserGlobals = { fetch: fetchStub, Request, Response, Headers, FormData, Blob, ReadableStream, URL, URLSearchParams, AbortController, TextDecoder, TextEncoder, crypto: globalThis.crypto, setTimeout, clearTimeout, console };
    const ctx = createContext({ ...browserGlobals });
    runInContext(bundle(), ctx);
    const sdk = (ctx as any).PipevideoSDK;
    expect((ctx as any).require).toBeUndefined();
    const pv = new sdk.Pipevideo({ apiKey: 'pv_b', baseUrl: 'https://api.example' });
    const done = await pv.generate({ model: 'm/x', prompt: 'p' }, { backoff: { initialMs: 1, maxMs: 1 } });
    expect(done.status).toBe('completed');
    expect(typeof sdk.verifyWebhook).toBe('function');
    expect(typeof pv.download).toBe('undefined');
  });
});
