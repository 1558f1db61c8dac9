import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  /** The status we answered (or 'hang' when the request was never answered). */
  answered: number | 'hang';
  at: number;
}

/** What to answer: a status, a status with headers, or never answer ('hang'). */
export type Answer = number | 'hang' | { status: number; headers?: Record<string, string> };

/**
 * A real customer endpoint on 127.0.0.1: records every request, answers from a script (in order,
 * then `fallback`), and can hold requests open (hang) to simulate a slow or dead receiver.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Answer[] = [];
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly waiters: Array<() => void> = [];
  fallback: Answer = 200;
  private server!: http.Server;
  url!: string;

  static async start(path = '/hook'): Promise<Receiver> {
    const r = new Receiver();
    r.server = http.createServer((req, res) => r.handle(req, res));
    r.server.keepAliveTimeout = 5000;
    await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}${path}`;
    return r;
  }

  /** Answers for the next requests, in order. */
  answer(...answers: Answer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** Requests we answered 2xx. */
  get succeeded(): ReceivedRequest[] {
    return this.requests.filter((r) => typeof r.answered === 'number' && r.answered < 300);
  }

  /** Resolves once `pred` holds (checked after every request), or rejects after `timeoutMs`. */
  async waitFor(pred: (r: Receiver) => boolean, timeoutMs = 15_000, what = 'receiver condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (got ${this.requests.length} requests)`);
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const next = this.script.length ? this.script.shift()! : this.fallback;
      const record: ReceivedRequest = {
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
        answered: next === 'hang' ? 'hang' : typeof next === 'number' ? next : next.status,
        at: Date.now(),
      };
      this.requests.push(record);
      if (next === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
      } else {
        const status = typeof next === 'number' ? next : next.status;
        res.writeHead(status, { 'content-type': 'text/plain', ...(typeof next === 'object' ? next.headers : {}) });
        res.end(status < 300 ? 'ok' : `nope ${status}`);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
}
