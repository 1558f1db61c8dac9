import { InProcessBus } from './in-process-bus';
import type { Transport } from './transport';

export class InProcessTransport implements Transport {
  readonly kind = 'inprocess' as const;
  constructor(readonly bus: InProcessBus) {}
  request(subject: string, data: string, timeoutMs: number): Promise<string> {
    return this.bus.request(subject, data, timeoutMs);
  }
  async close(): Promise<void> {}
}
