import type { EventBus, EventHandler } from './event-bus';

interface Consumer {
  name: string;
  subjects: Set<string>;
  handler: EventHandler;
}

/**
 * In-process stand-in for JetStream. publish() resolves only when every interested consumer has
 * handled (acked) the event, retrying a failing handler a few times; if that does not happen in time
 * it rejects, the outbox row stays unpublished and the relay redelivers later. So delivery is
 * at-least-once and durable (the outbox is the store), exactly as with JetStream + outbox.
 */
export class InProcessEventBus implements EventBus {
  readonly kind = 'inprocess' as const;
  private readonly consumers = new Map<string, Consumer>();
  /** Events a consumer has acked, so a redelivery after partial failure skips the ones that acked. */
  private readonly acked = new Map<string, Set<string>>();

  constructor(private readonly attempts = 3, private readonly retryDelayMs = 50) {}

  async subscribe(consumer: string, subjects: string[], handler: EventHandler): Promise<void> {
    this.consumers.set(consumer, { name: consumer, subjects: new Set(subjects), handler });
  }

  async publish(subject: string, eventId: string, payload: string): Promise<void> {
    const targets = [...this.consumers.values()].filter((c) => c.subjects.has(subject));
    const done = this.acked.get(eventId) ?? new Set<string>();
    this.acked.set(eventId, done);
    const results = await Promise.allSettled(
      targets.filter((c) => !done.has(c.name)).map((c) => this.deliver(c, subject, payload).then(() => done.add(c.name))),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} consumer(s) failed ${subject}: ${(failed[0] as PromiseRejectedResult).reason}`);
    this.acked.delete(eventId);
  }

  private async deliver(c: Consumer, subject: string, payload: string): Promise<void> {
    let lastErr: unknown;
    for (let i = 0; i < this.attempts; i++) {
      try {
        await new Promise((r) => setImmediate(r));
        await c.handler(subject, payload);
        return;
      } catch (err) {
        lastErr = err;
        await new Promise((r) => setTimeout(r, this.retryDelayMs * (i + 1)));
      }
    }
    throw lastErr;
  }

  async close(): Promise<void> {
    this.consumers.clear();
  }
}
