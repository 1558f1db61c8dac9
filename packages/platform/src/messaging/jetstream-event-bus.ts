import {
  AckPolicy, ConsumerMessages, DeliverPolicy, JetStreamClient, JetStreamManager, NatsConnection, RetentionPolicy, StorageType, StringCodec,
} from 'nats';
import { ALL_EVENT_SUBJECTS, EVENT_STREAM } from '@pipevideo/contracts';
import type { EventBus, EventHandler } from './event-bus';
import { logger } from '../observability/logger';

const sc = StringCodec();

/** JetStream-backed event bus: one stream for all events, one durable pull consumer per service. */
export class JetStreamEventBus implements EventBus {
  readonly kind = 'jetstream' as const;
  private readonly js: JetStreamClient;
  private readonly running: ConsumerMessages[] = [];
  private closed = false;

  private constructor(private readonly nc: NatsConnection, private readonly jsm: JetStreamManager) {
    this.js = nc.jetstream();
  }

  static async create(nc: NatsConnection): Promise<JetStreamEventBus> {
    const jsm = await nc.jetstreamManager();
    const config = {
      name: EVENT_STREAM,
      subjects: ALL_EVENT_SUBJECTS,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 10 * 60 * 1e9,
    };
    try {
      await jsm.streams.info(EVENT_STREAM);
      await jsm.streams.update(EVENT_STREAM, config);
    } catch {
      await jsm.streams.add(config).catch(async (err) => {
        // Another replica created it first.
        if (!String(err).includes('already in use')) throw err;
      });
    }
    return new JetStreamEventBus(nc, jsm);
  }

  async publish(subject: string, eventId: string, payload: string): Promise<void> {
    // msgID makes JetStream drop a re-publish of the same event (relay crash between publish and mark).
    await this.js.publish(subject, sc.encode(payload), { msgID: eventId, timeout: 5000 });
  }

  async subscribe(consumer: string, subjects: string[], handler: EventHandler): Promise<void> {
    // One durable per (consumer, subject): servers before 2.10 (Debian's) allow a single filter subject.
    for (const subject of subjects) await this.consume(`${consumer}__${subject.replace(/[.*>]/g, '_')}`, subject, handler);
  }

  private async consume(durable: string, subject: string, handler: EventHandler): Promise<void> {
    try {
      await this.jsm.consumers.add(EVENT_STREAM, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ack_wait: 30 * 1e9,
        max_deliver: -1,
        max_ack_pending: 2000,
      });
    } catch (err) {
      if (!/already|exists/i.test(String(err))) throw err;
    }
    const c = await this.js.consumers.get(EVENT_STREAM, durable);
    const messages = await c.consume({ max_messages: 200 });
    this.running.push(messages);
    void (async () => {
      const inflight = new Set<Promise<void>>();
      for await (const m of messages) {
        const p = (async () => {
          try {
            await handler(m.subject, sc.decode(m.data));
            m.ack();
          } catch (err) {
            const delay = Math.min(30_000, 250 * 2 ** Math.min(m.info.redeliveryCount, 7));
            logger.warn({ err: String(err), subject: m.subject, consumer: durable, redelivery: m.info.redeliveryCount }, 'event handler failed; will redeliver');
            m.nak(delay);
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
