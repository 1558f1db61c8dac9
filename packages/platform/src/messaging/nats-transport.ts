import { connect, NatsConnection, StringCodec } from 'nats';
import type { Transport } from './transport';
import { withSendSpan } from '../observability/nats-trace';

const sc = StringCodec();

/**
 * Connection settings shared by every NATS connection of a service: `NATS_URL` may list several
 * servers of a cluster, comma-separated (the client fails over between them); `NATS_USER` /
 * `NATS_PASSWORD` authenticate the service when the server requires it.
 */
export function natsConnectionOptions(url: string): { servers: string[]; user?: string; pass?: string; noAsyncTraces: boolean } {
  const servers = url.split(',').map((s) => s.trim()).filter(Boolean);
  const user = process.env.NATS_USER || undefined;
  // nats.js captures two stack traces per request (for a timeout's message) unless told not to: under
  // load that was ~7 % of the gateway's CPU per create. A timeout still says which subject timed out
  // (DomainError from RpcClient, logged with the correlation id), which is what an operator reads.
  return { servers, noAsyncTraces: true, ...(user ? { user, pass: process.env.NATS_PASSWORD ?? '' } : {}) };
}

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  private constructor(readonly nc: NatsConnection, private readonly prefix: string) {}

  static async connect(url: string, name: string, prefix = ''): Promise<NatsTransport> {
    const nc = await connect({ ...natsConnectionOptions(url), name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    return new NatsTransport(nc, prefix);
  }

  async request(subject: string, data: string, timeoutMs: number): Promise<string> {
    const msg = await withSendSpan(subject, 'request', (headers) => this.nc.request(this.prefix + subject, sc.encode(data), { timeout: timeoutMs, ...(headers ? { headers } : {}) }));
    return sc.decode(msg.data);
  }

  publish(subject: string, data: string): void {
    if (!this.nc.isClosed()) this.nc.publish(this.prefix + subject, sc.encode(data));
  }

  subscribe(pattern: string, handler: (subject: string, data: string) => void, onGap?: () => void): () => void {
    const sub = this.nc.subscribe(this.prefix + pattern, {
      callback: (err, msg) => {
        if (!err) handler(msg.subject.slice(this.prefix.length), sc.decode(msg.data));
      },
    });
    let watching = !!onGap;
    if (onGap) {
      void (async () => {
        for await (const s of this.nc.status()) {
          if (!watching) break;
          if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'staleConnection') onGap();
        }
      })().catch(() => undefined);
    }
    return () => {
      watching = false;
      sub.unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/** True when a NATS server answers at url within timeoutMs (embedded mode's transport choice). */
export async function natsAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const nc = await connect({ ...natsConnectionOptions(url), timeout: timeoutMs, maxReconnectAttempts: 0 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
