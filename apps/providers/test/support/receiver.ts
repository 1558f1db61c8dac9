import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdapterDeps } from '../../src/adapters/provider-definition';

/** A captured HTTP request (provider callbacks in adapter tests). */
export interface Captured {
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  path: string;
}

export interface Receiver {
  url: string;
  hits: Captured[];
  close(): Promise<void>;
}

/** A local HTTP server that records every request and answers `answer(hit)` (default 200). */
export async function startReceiver(answer: (hit: Captured) => Promise<number> | number = () => 200): Promise<Receiver> {
  const hits: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const hit = { headers: req.headers, raw: Buffer.concat(chunks), path: req.url ?? '/' };
      hits.push(hit);
      const status = await answer(hit);
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Polls `cond` until it holds (no fixed sleeps in assertions). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const TEST_DEPS: AdapterDeps = { httpTimeoutMs: 3000, signatureToleranceSeconds: 300, keyRefreshMinIntervalMs: 0 };

/** Captures the promise rejection of an adapter call as a ProviderError-like object. */
export async function failureOf(p: Promise<unknown>): Promise<{ kind: string; message: string; retryable: boolean }> {
  try {
    await p;
  } catch (e) {
    return e as { kind: string; message: string; retryable: boolean };
  }
  throw new Error('expected the call to fail');
}
