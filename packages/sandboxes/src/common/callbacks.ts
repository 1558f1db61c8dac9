import http from 'node:http';
import https from 'node:https';
import type { JobClock } from './clock';
import type { RequestLog } from './request-log';

export interface CallbackDelivery {
  url: string;
  /** Raw JSON body; the exact bytes are signed, so it is built once by the caller. */
  body: string;
  /** Headers for one attempt (1-based); called per attempt so timestamps/signatures can be fresh. */
  headers: (attempt: number) => Record<string, string>;
  jobId?: string;
  modelId?: string;
  fault?: string;
}

export interface PostResult {
  status: number; // 0 = network error / timeout
}

/** POSTs a body with a fresh connection (no keep-alive: nothing lingers after tests). */
export function postRaw(url: string, body: string, headers: Record<string, string>, timeoutMs: number, track?: Set<http.ClientRequest>): Promise<PostResult> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve({ status: 0 });
      return;
    }
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      u,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close', ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    track?.add(req);
    req.on('close', () => track?.delete(req));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

/** Delivers provider callbacks with the provider's retry-on-non-2xx behaviour, logging every attempt. */
export class CallbackSender {
  private readonly inflight = new Set<http.ClientRequest>();

  constructor(
    private readonly clock: JobClock,
    private readonly log: RequestLog,
    private readonly attempts: number,
    private readonly retryDelayMs: number,
    private readonly timeoutMs = 5000,
  ) {}

  /** Resolves true once a 2xx was received, false after the last failed attempt (never resolves after stop()). */
  async deliver(d: CallbackDelivery): Promise<boolean> {
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (this.clock.isStopped) return false;
      const { status } = await postRaw(d.url, d.body, d.headers(attempt), this.timeoutMs, this.inflight);
      if (this.clock.isStopped) return false;
      this.log.add({
        at: Date.now(),
        method: 'POST',
        path: d.url,
        operation: 'callback',
        status,
        ...(d.modelId ? { modelId: d.modelId } : {}),
        ...(d.jobId ? { jobId: d.jobId } : {}),
        ...(d.fault ? { fault: d.fault } : {}),
      });
      if (status >= 200 && status < 300) return true;
      if (attempt < this.attempts) await this.clock.sleep(this.retryDelayMs);
    }
    return false;
  }

  stop(): void {
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
  }
}
