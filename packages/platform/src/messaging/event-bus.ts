/**
 * Durable events. Producers never call publish() directly: they write to their outbox in the same
 * DB transaction as the state change and the OutboxRelay publishes. Consumers get at-least-once
 * delivery with explicit ack after their own commit, and de-duplicate by event id (Inbox).
 */
export type EventHandler = (subject: string, payload: string) => Promise<void>;

export interface EventBus {
  readonly kind: 'jetstream' | 'inprocess';
  /** Resolves once the event is durably accepted (JetStream ack; in-process: every consumer acked). */
  publish(subject: string, eventId: string, payload: string): Promise<void>;
  /** A named durable consumer; replicas using the same name share the work. */
  subscribe(consumer: string, subjects: string[], handler: EventHandler): Promise<void>;
  close(): Promise<void>;
}
