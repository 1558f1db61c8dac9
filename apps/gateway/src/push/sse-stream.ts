import type { ServerResponse } from 'node:http';

/** The part of Fastify's reply an SSE stream needs. */
export interface HijackableReply {
  hijack(): void;
  raw: ServerResponse;
}

/**
 * One Server-Sent Events stream on a hijacked Fastify reply: `event:`/`id:`/`data:` frames, a comment
 * every `heartbeatMs` (proxies keep the connection), and `onClose` when the client goes away or we end it.
 */
export class SseStream {
  private seq = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closers: Array<() => void> = [];

  constructor(reply: HijackableReply, heartbeatMs: number, private readonly res = reply.raw) {
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders?.();
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    res.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one event; returns its sequence number (0, 1, …). */
  send(event: string, data: unknown): number {
    const n = this.seq++;
    this.write(`event: ${event}\nid: ${n}\ndata: ${JSON.stringify(data)}\n\n`);
    return n;
  }

  /** The sequence number the next event will carry. */
  get nextSequence(): number {
    return this.seq;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    for (const fn of this.closers.splice(0)) fn();
  }

  private write(text: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.write(text);
  }
}
