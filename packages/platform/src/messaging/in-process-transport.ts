import { InProcessBus } from './in-process-bus';
import type { Transport } from './transport';

export class InProcessTransport implements Transport {
  readonly kind = 'inprocess' as const;
  constructor(readonly bus: InProcessBus) {}
  request(subject: string, data: string, timeoutMs: number): Promise<string> {
    return this.bus.request(subject, data, timeoutMs);
  }
  publish(subject: string, data: string): void {
    this.bus.broadcast(subject, data);
  }
  subscribe(pattern: string, handler: (subject: string, data: string) => void): () => void {
    // One process: nothing between publisher and subscriber can drop a broadcast, so no gaps.
    return this.bus.onBroadcast(pattern, handler);
  }
  async close(): Promise<void> {}
}
