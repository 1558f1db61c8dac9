import type { EventBus, EventHandler } from './event-bus';
import {
  backoffMs, errorText, eventIdOf, exhausted, InMemoryDeadLetters, RedeliveryPolicy, redeliveryPolicyFromEnv, SubscribeOptions,
} from './dead-letters';
import { logger } from '../observability/logger';

/** One subscriber of a named consumer: a service replica's handler. */
interface Member {
  subjects: Set<string>;
  handler: EventHandler;
  owner: symbol;
  opts: SubscribeOptions;
}

/** A named durable consumer; its members share the work like replicas in a JetStream queue. */
interface Consumer {
  name: string;
  /** Every subject it was ever subscribed to: it stays interested in them while no member is there. */
  subjects: Set<string>;
  members: Member[];
  /** Round-robin position over the members. */
  turn: number;
}

/**
 * In-process stand-in for JetStream. publish() resolves only when every interested consumer has
 * handled (acked) the event, retrying a failing handler a few times; if that does not happen in time
 * it rejects, the outbox row stays unpublished and the relay redelivers later. So delivery is
 * at-least-once and durable (the outbox is the store), exactly as with JetStream + outbox.
 * Replicas subscribing under one consumer name share its events (one member handles each delivery,
 * a retry goes to the next member); each service subscribes through its own view(), whose close()
 * removes only that service's members.
 *
 * Dead letters as with JetStream: failed deliveries of an event to a consumer are counted across
 * publishes (the relay's redeliveries, which back off), and once they reach the policy's limit (or the
 * handler throws PoisonEventError) the event goes to the dead-letter queue for that consumer, which then
 * counts as acked. The queue is in memory: a restart of an embedded process without NATS forgets it.
 */
export class InProcessEventBus implements EventBus {
  readonly kind = 'inprocess' as const;
  private readonly consumers = new Map<string, Consumer>();
  /** Events a consumer has acked, so a redelivery after partial failure skips the ones that acked. */
  private readonly acked = new Map<string, Set<string>>();
  private readonly owner = Symbol('bus');
  /** Failed deliveries per (consumer, message id), across publishes. */
  private readonly failures = new Map<string, number>();
  private readonly policy: RedeliveryPolicy;
  readonly deadLetters: InMemoryDeadLetters;

  constructor(
    private readonly attempts = 3,
    private readonly retryDelayMs = 50,
    policy: Partial<RedeliveryPolicy> = {},
  ) {
    this.policy = redeliveryPolicyFromEnv(policy);
    this.deadLetters = new InMemoryDeadLetters((subject, messageId, payload) => {
      // Like a JetStream publish: accepted now, delivered in the background — retried until every
      // consumer took it or dead-lettered it again (which ends the loop: a dead letter counts as acked).
      void this.publishUntilTaken(subject, messageId, payload);
      return Promise.resolve();
    });
  }

  async subscribe(consumer: string, subjects: string[], handler: EventHandler, opts: SubscribeOptions = {}): Promise<void> {
    this.join(consumer, subjects, handler, this.owner, opts);
  }

  /** The bus as one service sees it: its subscriptions leave with it when it closes. */
  view(): EventBus {
    const owner = Symbol('view');
    return {
      kind: this.kind,
      publish: (subject, eventId, payload) => this.publish(subject, eventId, payload),
      subscribe: async (consumer, subjects, handler, opts) => this.join(consumer, subjects, handler, owner, opts ?? {}),
      close: async () => this.leave(owner),
      deadLetters: this.deadLetters,
    };
  }

  async publish(subject: string, eventId: string, payload: string): Promise<void> {
    const targets = [...this.consumers.values()].filter((c) => c.subjects.has(subject));
    const done = this.acked.get(eventId) ?? new Set<string>();
    this.acked.set(eventId, done);
    const results = await Promise.allSettled(
      targets.filter((c) => !done.has(c.name)).map((c) => this.deliver(c, subject, eventId, payload).then(() => done.add(c.name))),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) throw new Error(`${failed.length} consumer(s) failed ${subject}: ${(failed[0] as PromiseRejectedResult).reason}`);
    this.acked.delete(eventId);
  }

  async close(): Promise<void> {
    this.consumers.clear();
  }

  private join(name: string, subjects: string[], handler: EventHandler, owner: symbol, opts: SubscribeOptions): void {
    const c = this.consumers.get(name) ?? { name, subjects: new Set<string>(), members: [], turn: 0 };
    for (const s of subjects) c.subjects.add(s);
    c.members.push({ subjects: new Set(subjects), handler, owner, opts });
    this.consumers.set(name, c);
  }

  /**
   * Takes a closing service's members out. A consumer left without members stays registered (like a
   * JetStream durable whose subscribers are all gone): events for it fail, so the producer's outbox keeps
   * them until a member is back, instead of counting them delivered. Only close() forgets consumers.
   */
  private leave(owner: symbol): void {
    for (const c of this.consumers.values()) c.members = c.members.filter((m) => m.owner !== owner);
  }

  private async deliver(c: Consumer, subject: string, messageId: string, payload: string): Promise<void> {
    let lastErr: unknown = new Error(`no subscriber of ${c.name} is left for ${subject}`);
    const key = `${c.name}|${messageId}`;
    for (let i = 0; i < this.attempts; i++) {
      const member = this.nextMember(c, subject);
      if (!member) break;
      try {
        await new Promise((r) => setImmediate(r));
        await member.handler(subject, payload);
        this.failures.delete(key);
        return;
      } catch (err) {
        lastErr = err;
        const deliveries = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, deliveries);
        if (exhausted(this.policy, deliveries, err)) {
          this.failures.delete(key);
          const letter = { consumer: c.name, subject, eventId: eventIdOf(payload), payload, error: errorText(err), deliveries, deadLetteredAt: Date.now() };
          const { id } = this.deadLetters.add(letter);
          logger.error({ consumer: c.name, subject, eventId: letter.eventId, deliveries, err: letter.error, deadLetter: id }, 'event dead-lettered');
          member.opts.onDeadLetter?.(letter);
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryDelayMs * (i + 1)));
      }
    }
    throw lastErr;
  }

  private async publishUntilTaken(subject: string, messageId: string, payload: string): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        return await this.publish(subject, messageId, payload);
      } catch {
        await new Promise((r) => setTimeout(r, backoffMs(this.policy, n)));
      }
    }
  }

  private nextMember(c: Consumer, subject: string): Member | undefined {
    const eligible = c.members.filter((m) => m.subjects.has(subject));
    if (!eligible.length) return undefined;
    return eligible[c.turn++ % eligible.length];
  }
}
