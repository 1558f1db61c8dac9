/**
 * The wire under our messaging: NATS in production and whenever NATS_URL answers, or the
 * in-process bus in embedded mode. Both move serialised strings only, so nothing works in-process
 * that would break on NATS.
 */
export interface Transport {
  readonly kind: 'nats' | 'inprocess';
  /** Request/reply: rejects fast when nobody answers, and after timeoutMs. */
  request(subject: string, data: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}
