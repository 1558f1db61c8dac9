import {
  AckPolicy, ConsumerMessages, DeliverPolicy, JetStreamClient, JetStreamManager, NatsConnection, RetentionPolicy, StorageType, StringCodec,
} from 'nats';
import { ALL_EVENT_SUBJECTS, EVENT_STREAM } from '@pipevideo/contracts';
import type { EventBus, EventHandler } from './event-bus';
import {
  backoffMs, DeadLetter, DeadLetterQueue, errorText, eventIdOf, exhausted, NewDeadLetter, RedeliveryPolicy, redeliveryPolicyFromEnv, SubscribeOptions,
} from './dead-letters';
import { logger } from '../observability/logger';
import { withReceiveSpan, withSendSpan } from '../observability/nats-trace';
import { envInt } from '../config/env';

const sc = StringCodec();

/** JetStream-backed event bus: one stream for all events, one durable pull consumer per service. */
export class JetStreamEventBus implements EventBus {
  readonly kind = 'jetstream' as const;
  private readonly js: JetStreamClient;
  private readonly running: ConsumerMessages[] = [];
  private closed = false;
  readonly deadLetters: DeadLetterQueue;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly prefix: string,
    private readonly stream: string,
    private readonly dlq: JetStreamDeadLetters,
    private readonly policy: RedeliveryPolicy,
  ) {
    this.js = nc.jetstream();
    this.deadLetters = dlq;
  }

  static async create(nc: NatsConnection, prefix = '', policy: Partial<RedeliveryPolicy> = {}): Promise<JetStreamEventBus> {
    const jsm = await nc.jetstreamManager();
    const stream = prefix ? `${prefix.slice(0, -1)}_${EVENT_STREAM}` : EVENT_STREAM;
    const config = {
      name: stream,
      subjects: ALL_EVENT_SUBJECTS.map((s) => prefix + s),
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 10 * 60 * 1e9,
      // 3 on a NATS cluster (infra/k8s/dependencies/nats-values.yaml): the stream survives losing a server.
      num_replicas: envInt('PIPEVIDEO_NATS_STREAM_REPLICAS', 1),
    };
    await ensureStream(jsm, stream, config);
    // The dead letters: no age limit (they wait for the operator; the stream is small), file storage.
    const dlqStream = `${stream}_DLQ`;
    await ensureStream(jsm, dlqStream, {
      name: dlqStream,
      subjects: [`${prefix}${DEAD_LETTER_SUBJECT}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: 0,
      duplicate_window: 10 * 60 * 1e9,
    });
    const js = nc.jetstream();
    const dlq = new JetStreamDeadLetters(js, jsm, dlqStream, prefix, (subject, messageId, payload) =>
      js.publish(prefix + subject, sc.encode(payload), { msgID: messageId, timeout: 5000 }).then(() => undefined),
    );
    return new JetStreamEventBus(nc, jsm, prefix, stream, dlq, redeliveryPolicyFromEnv(policy));
  }

  async publish(subject: string, eventId: string, payload: string): Promise<void> {
    // msgID makes JetStream drop a re-publish of the same event (relay crash between publish and mark).
    // The event's trace (kept in its payload by the outbox) goes on in the message headers.
    const traceparent = /"traceparent":"([0-9a-f-]{55})"/.exec(payload)?.[1];
    await withSendSpan(subject, 'publish', (headers) => this.js.publish(this.prefix + subject, sc.encode(payload), { msgID: eventId, timeout: 5000, ...(headers ? { headers } : {}) }), traceparent);
  }

  async subscribe(consumer: string, subjects: string[], handler: EventHandler, opts: SubscribeOptions = {}): Promise<void> {
    // One durable per (consumer, subject): servers before 2.10 (Debian's) allow a single filter subject.
    for (const subject of subjects) await this.consume(consumer, `${consumer}__${subject.replace(/[.*>]/g, '_')}`, subject, handler, opts);
  }

  private async consume(consumer: string, durable: string, subject: string, handler: EventHandler, opts: SubscribeOptions): Promise<void> {
    await whileJetStreamSettles(`consumer ${durable}`, async () => {
      try {
        await this.jsm.consumers.add(this.stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: this.prefix + subject,
          ack_wait: 30 * 1e9,
          max_deliver: -1,
          max_ack_pending: 2000,
        });
      } catch (err) {
        if (!/already|exists/i.test(String(err))) throw err;
      }
    });
    const c = await whileJetStreamSettles(`consumer ${durable}`, () => this.js.consumers.get(this.stream, durable));
    const messages = await c.consume({ max_messages: 200 });
    this.running.push(messages);
    void (async () => {
      const inflight = new Set<Promise<void>>();
      for await (const m of messages) {
        const p = (async () => {
          const plainSubject = m.subject.slice(this.prefix.length);
          const payload = sc.decode(m.data);
          try {
            await withReceiveSpan(plainSubject, 'event', m.headers, () => handler(plainSubject, payload));
            m.ack();
          } catch (err) {
            const deliveries = m.info.deliveryCount;
            if (!exhausted(this.policy, deliveries, err)) {
              logger.warn({ err: String(err), subject: m.subject, consumer: durable, deliveries }, 'event handler failed; will redeliver');
              m.nak(backoffMs(this.policy, deliveries));
              return;
            }
            const letter: NewDeadLetter = { consumer, subject: plainSubject, eventId: eventIdOf(payload), payload, error: errorText(err), deliveries, deadLetteredAt: Date.now() };
            try {
              // Message id = this delivery's stream position and consumer: a retried dead-lettering is stored once.
              await this.dlq.add(letter, `${durable}:${m.info.streamSequence}`);
            } catch (dlqErr) {
              // Not stored: keep the event in its queue rather than lose it; the next failure tries again.
              logger.error({ err: String(dlqErr), subject: m.subject, consumer: durable }, 'could not dead-letter an event; will redeliver');
              m.nak(backoffMs(this.policy, deliveries));
              return;
            }
            logger.error({ consumer, subject: plainSubject, eventId: letter.eventId, deliveries, err: letter.error }, 'event dead-lettered');
            opts.onDeadLetter?.(letter);
            m.term();
          }
        })();
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        // Bounded concurrency per consumer: enough to keep up, little enough for a 2-core box.
        if (inflight.size >= 32) await Promise.race(inflight);
        if (this.closed) break;
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const m of this.running) await m.close()?.catch(() => undefined);
  }
}

/** JetStream answers nothing for a moment while a cluster elects leaders (a server restarted, lost). */
function isTransient(err: unknown): boolean {
  return /TIMEOUT|503|no responders|leader|unavailable|not ready/i.test(String((err as { code?: string })?.code ?? '') + ' ' + String(err));
}

/**
 * Runs a JetStream setup call again while the cluster settles (up to a minute, with backoff), so a
 * service started while a NATS server is restarting comes up instead of exiting; other errors at once.
 */
async function whileJetStreamSettles<T>(what: string, fn: () => Promise<T>, budgetMs = 60_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() + wait > deadline) throw err;
      logger.warn({ what, err: String(err), retryInMs: wait }, 'JetStream not ready; retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Dead letters are published as `<prefix>deadletter.<consumer>` into the `<stream>_DLQ` stream. */
const DEAD_LETTER_SUBJECT = 'deadletter';

async function ensureStream(jsm: JetStreamManager, name: string, config: Record<string, unknown> & { name: string }): Promise<void> {
  await whileJetStreamSettles(`stream ${name}`, async () => {
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config as any);
    } catch (err) {
      if (isTransient(err)) throw err;
      await jsm.streams.add(config as any).catch(async (e) => {
        // Another replica created it first.
        if (!String(e).includes('already in use')) throw e;
      });
    }
  });
}

/** The dead-letter queue in its own JetStream stream: ids are stream sequences; replay deletes the message. */
class JetStreamDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly prefix: string,
    private readonly republish: (subject: string, messageId: string, payload: string) => Promise<void>,
  ) {}

  async add(letter: NewDeadLetter, messageId: string): Promise<void> {
    const subject = `${this.prefix}${DEAD_LETTER_SUBJECT}.${letter.consumer.replace(/[.*>\s]/g, '_')}`;
    await this.js.publish(subject, sc.encode(JSON.stringify(letter)), { msgID: messageId, timeout: 5000 });
  }

  async list(limit: number, after?: string): Promise<DeadLetter[]> {
    const info = await this.jsm.streams.info(this.stream);
    const out: DeadLetter[] = [];
    // Replayed letters leave gaps: walk the sequences, skipping deleted ones.
    for (let seq = Math.max(info.state.first_seq, after ? Number(after) + 1 : 1, 1); seq <= info.state.last_seq && out.length < limit; seq++) {
      const l = await this.get(String(seq));
      if (l) out.push(l);
    }
    return out;
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    if (!/^\d{1,15}$/.test(id) || Number(id) < 1) return undefined;
    try {
      const m = await this.jsm.streams.getMessage(this.stream, { seq: Number(id) });
      return { ...(JSON.parse(sc.decode(m.data)) as NewDeadLetter), id };
    } catch (err) {
      if (/no message found|not found/i.test(String(err))) return undefined;
      throw err;
    }
  }

  async replay(id: string): Promise<DeadLetter | undefined> {
    const l = await this.get(id);
    if (!l) return undefined;
    await this.republish(l.subject, `${l.eventId ?? 'event'}:replay:${id}`, l.payload);
    await this.discard(id);
    return l;
  }

  async discard(id: string): Promise<boolean> {
    if (!/^\d{1,15}$/.test(id) || Number(id) < 1) return false;
    try {
      return await this.jsm.streams.deleteMessage(this.stream, Number(id), false);
    } catch (err) {
      if (/no message found|not found/i.test(String(err))) return false;
      throw err;
    }
  }

  async count(): Promise<number> {
    return (await this.jsm.streams.info(this.stream)).state.messages;
  }
}
