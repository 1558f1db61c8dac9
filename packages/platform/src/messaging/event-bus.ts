/**
 * Durable events. Producers never call publish() directly: they write to their outbox in the same
 * DB transaction as the state change and the OutboxRelay publishes. Consumers get at-least-once
 * delivery with explicit ack after their own commit, and de-duplicate by event id (Inbox).
 */
import type { DeadLetterQueue, SubscribeOptions } from './dead-letters';

export type EventHandler = (subject: string, payload: string) => Promise<void>;

export interface EventBus {
  readonly kind: 'jetstream' | 'inprocess';
  /** Resolves once the event is durably accepted (JetStream ack; in-process: every consumer acked). */
  publish(subject: string, eventId: string, payload: string): Promise<void>;
  /**
   * A named durable consumer; replicas using the same name share the work. A failing handler's event is
   * redelivered with backoff up to the redelivery limit, then dead-lettered (see dead-letters.ts).
   */
  subscribe(consumer: string, subjects: string[], handler: EventHandler, opts?: SubscribeOptions): Promise<void>;
  /** Events consumers gave up on, for the operator to inspect and replay. */
  readonly deadLetters: DeadLetterQueue;
  close(): Promise<void>;
}
