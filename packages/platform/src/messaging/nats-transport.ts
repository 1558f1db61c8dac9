import { connect, NatsConnection, StringCodec } from 'nats';
import type { Transport } from './transport';

const sc = StringCodec();

export class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  private constructor(readonly nc: NatsConnection, private readonly prefix: string) {}

  static async connect(url: string, name: string, prefix = ''): Promise<NatsTransport> {
    const nc = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    return new NatsTransport(nc, prefix);
  }

  async request(subject: string, data: string, timeoutMs: number): Promise<string> {
    const msg = await this.nc.request(this.prefix + subject, sc.encode(data), { timeout: timeoutMs });
    return sc.decode(msg.data);
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/** True when a NATS server answers at url within timeoutMs (embedded mode's transport choice). */
export async function natsAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, maxReconnectAttempts: 0 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
