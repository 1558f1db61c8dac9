import {
  AckPolicy, ConsumerMessages, DeliverPolicy, JetStreamClient, JetStreamManager, NatsConnection, RetentionPolicy, StorageType, StringCodec,
} from 'nats';
import { ALL_EVENT_SUBJECTS, EVENT_STREAM } from '@pipevideo/contracts';
import type { EventBus, EventHandler } from './event-bus';
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

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly prefix: string,
    private readonly stream: string,
  ) {
    this.js = nc.jetstream();
  }

  static async create(nc: NatsConnection, prefix = ''): Promise<JetStreamEventBus> {
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
    await whileJetStreamSettles('stream setup', async () => {
      try {
        await jsm.streams.info(stream);
        await jsm.streams.update(stream, config);
      } catch (err) {
        if (isTransient(err)) throw err;
        await jsm.streams.add(config).catch(async (e) => {
          // Another replica created it first.
          if (!String(e).includes('already in use')) throw e;
        });
      }
    });
    return new JetStreamEventBus(nc, jsm, prefix, stream);
  }

  async publish(subject: string, eventId: string, payload: string): Promise<void> {
    // msgID makes JetStream drop a re-publish of the same event (relay crash between publish and mark).
    // The event's trace (kept in its payload by the outbox) goes on in the message headers.
    const traceparent = /"traceparent":"([0-9a-f-]{55})"/.exec(payload)?.[1];
    await withSendSpan(subject, 'publish', (headers) => this.js.publish(this.prefix + subject, sc.encode(payload), { msgID: eventId, timeout: 5000, ...(headers ? { headers } : {}) }), traceparent);
  }

  async subscribe(consumer: string, subjects: string[], handler: EventHandler): Promise<void> {
    // One durable per (consumer, subject): servers before 2.10 (Debian's) allow a single filter subject.
    for (const subject of subjects) await this.consume(`${consumer}__${subject.replace(/[.*>]/g, '_')}`, subject, handler);
  }

  private async consume(durable: string, subject: string, handler: EventHandler): Promise<void> {
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
          try {
            const subject = m.subject.slice(this.prefix.length);
            await withReceiveSpan(subject, 'event', m.headers, () => handler(subject, sc.decode(m.data)));
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
