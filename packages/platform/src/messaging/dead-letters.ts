import { envInt } from '../config/env';

/**
 * A durable event one consumer gave up on: its handler failed `deliveries` times (or declared it
 * poison), so it left the consumer's queue for the dead-letter queue instead of being retried forever
 * or expiring with the stream. Nothing is lost: the operator inspects it and replays it (`/admin/dead-letters`).
 */
export interface DeadLetter {
  /** Position in the dead-letter queue (JetStream: the DLQ stream's sequence). */
  id: string;
  /** The durable consumer that failed it (e.g. `billing`, `router`, `webhooks`). */
  consumer: string;
  /** The event's subject, as the services name it (no namespace prefix). */
  subject: string;
  eventId: string | null;
  /** The event exactly as published. */
  payload: string;
  /** The last handler error. */
  error: string;
  /** Deliveries made before giving up. */
  deliveries: number;
  /** Unix milliseconds. */
  deadLetteredAt: number;
}

/** What a bus records when a consumer gives up on an event (the queue assigns the id). */
export type NewDeadLetter = Omit<DeadLetter, 'id'>;

/** The dead-letter queue of one event bus (one per deployment / NATS namespace). */
export interface DeadLetterQueue {
  /** Oldest first, after position `after` (exclusive). */
  list(limit: number, after?: string): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /**
   * Publishes the event again on its subject (under a new message id, so stream de-duplication does not
   * drop it) and removes it from the queue. Every consumer de-duplicates by event id (inbox), so only the
   * consumers that never processed it act on it. @returns the replayed letter, or undefined if unknown.
   */
  replay(id: string): Promise<DeadLetter | undefined>;
  /** Removes it without replaying (the operator decided it must not run). @returns false if unknown. */
  discard(id: string): Promise<boolean>;
  /** Letters waiting. */
  count(): Promise<number>;
}

/**
 * A handler throws this for an event that can never succeed (malformed, refers to nothing): it goes to
 * the dead-letter queue at once instead of being redelivered until the limit.
 */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonEventError';
  }
}

/**
 * How often a failing event is redelivered, and how far apart: deliveries 250 ms × 2^(n−1) apart, capped
 * at `maxBackoffMs`; after `maxDeliveries` failed deliveries it is dead-lettered. Defaults (100 deliveries,
 * 60 s cap) ride out about 1.5 hours of a dependency being down (PIPEVIDEO_EVENT_MAX_DELIVERIES,
 * PIPEVIDEO_EVENT_MAX_BACKOFF_MS).
 */
export interface RedeliveryPolicy {
  maxDeliveries: number;
  maxBackoffMs: number;
}

export function redeliveryPolicyFromEnv(overrides: Partial<RedeliveryPolicy> = {}): RedeliveryPolicy {
  const p = {
    maxDeliveries: overrides.maxDeliveries ?? envInt('PIPEVIDEO_EVENT_MAX_DELIVERIES', 100),
    maxBackoffMs: overrides.maxBackoffMs ?? envInt('PIPEVIDEO_EVENT_MAX_BACKOFF_MS', 60_000),
  };
  if (!(p.maxDeliveries >= 1) || !(p.maxBackoffMs >= 0)) throw new Error('PIPEVIDEO_EVENT_MAX_DELIVERIES must be ≥ 1 and PIPEVIDEO_EVENT_MAX_BACKOFF_MS ≥ 0');
  return p;
}

/** Delay before the next delivery after `deliveries` failed ones. */
export function backoffMs(policy: RedeliveryPolicy, deliveries: number): number {
  return Math.min(policy.maxBackoffMs, 250 * 2 ** Math.min(Math.max(0, deliveries - 1), 16));
}

/** Whether an event that just failed its `deliveries`-th delivery with `err` leaves for the dead-letter queue. */
export function exhausted(policy: RedeliveryPolicy, deliveries: number, err: unknown): boolean {
  return err instanceof PoisonEventError || deliveries >= policy.maxDeliveries;
}

export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return text.slice(0, 2000);
}

export function eventIdOf(payload: string): string | null {
  try {
    const id = (JSON.parse(payload) as { eventId?: unknown }).eventId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** Per subscription: told when this consumer dead-letters an event (metrics, logs). */
export interface SubscribeOptions {
  onDeadLetter?: (letter: NewDeadLetter) => void;
}

/** The in-process bus's queue: in memory, shared by the services of the process (embedded mode without NATS). */
export class InMemoryDeadLetters implements DeadLetterQueue {
  private readonly letters = new Map<string, DeadLetter>();
  private next = 1;

  constructor(private readonly republish: (subject: string, messageId: string, payload: string) => Promise<void>) {}

  add(l: NewDeadLetter): DeadLetter {
    const letter = { ...l, id: String(this.next++) };
    this.letters.set(letter.id, letter);
    return letter;
  }

  async list(limit: number, after?: string): Promise<DeadLetter[]> {
    const from = after ? Number(after) : 0;
    return [...this.letters.values()].filter((l) => Number(l.id) > from).slice(0, limit);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    return this.letters.get(id);
  }

  async replay(id: string): Promise<DeadLetter | undefined> {
    const l = this.letters.get(id);
    if (!l) return undefined;
    await this.republish(l.subject, `${l.eventId ?? 'event'}:replay:${id}`, l.payload);
    this.letters.delete(id);
    return l;
  }

  async discard(id: string): Promise<boolean> {
    return this.letters.delete(id);
  }

  async count(): Promise<number> {
    return this.letters.size;
  }
}
