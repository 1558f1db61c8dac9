/* Test-only helpers (excluded from the build). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  headers: http.IncomingHttpHeaders;
  raw: string;
  json: any;
  /** What the receiver answered. */
  status: number;
  /** Anything the receiver's handler recorded (e.g. the JWKS status it saw). */
  note?: unknown;
}

export interface Receiver {
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

/**
 * A tiny webhook receiver. `answer(hitIndex, hit)` picks the HTTP status (default 200) and may be async
 * (e.g. to fetch a JWKS while handling the callback, like a real receiver does).
 */
export async function startReceiver(answer: (i: number, hit: Hit) => number | Promise<number> = () => 200): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const hit: Hit = { headers: req.headers, raw, json, status: 0 };
      const i = hits.length;
      hits.push(hit);
      hit.status = await answer(i, hit);
      res.writeHead(hit.status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/provider`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export async function waitFor<T>(fn: () => T | Promise<T>, what = 'condition', timeoutMs = 5000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(
  url: string,
  init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.auth) headers.authorization = init.auth;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = headers['content-type'] ?? 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** True when `buf` starts with an ISO-BMFF `ftyp` box of sane size. */
export function startsWithFtyp(buf: Buffer): boolean {
  if (buf.length < 16) return false;
  const size = buf.readUInt32BE(0);
  return buf.toString('latin1', 4, 8) === 'ftyp' && size >= 16 && size <= buf.length;
}

export async function fetchBytes(url: string): Promise<{ status: number; contentType: string | null; buf: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, contentType: res.headers.get('content-type'), buf: Buffer.from(await res.arrayBuffer()) };
}
