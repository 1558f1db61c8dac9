import { AckPolicy, DeliverPolicy, StringCodec, type NatsConnection } from 'nats';
import { EVENT_STREAM, EVENTS } from '@pipevideo/contracts';

/**
 * Keeps benchmarks and tests on a shared NATS server from disturbing anyone else (and from being
 * slowed by them): a throw-away durable fast-forwarded past the stream's history (up to 7 days of
 * everyone's events), and removal of the events a run published so other consumers never see them.
 */
export class JetStreamHygiene {
  private firstSeq = 0;
  private constructor(private readonly nc: NatsConnection, private readonly durable: string) {}

  /**
   * Creates the webhooks consumer `<consumerName>__generation_finished` exactly as the platform's
   * JetStreamEventBus does (so its own add() is a no-op; a different deliver policy would be refused)
   * and acks everything already in the stream, so the service only sees events from now on.
   */
  static async prepare(nc: NatsConnection, consumerName: string): Promise<JetStreamHygiene> {
    const jsm = await nc.jetstreamManager();
    const durable = `${consumerName}__${EVENTS.generationFinished.replace(/[.*>]/g, '_')}`;
    await jsm.consumers.add(EVENT_STREAM, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: EVENTS.generationFinished,
      ack_wait: 30 * 1e9,
      max_deliver: -1,
      max_ack_pending: 2000,
    });
    const consumer = await nc.jetstream().consumers.get(EVENT_STREAM, durable);
    for (;;) {
      const info = await consumer.info();
      if (info.num_pending === 0 && info.num_ack_pending === 0) break;
      const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
      for await (const m of batch) await m.ackAck();
    }
    const h = new JetStreamHygiene(nc, durable);
    h.firstSeq = (await jsm.streams.info(EVENT_STREAM)).state.last_seq + 1;
    return h;
  }

  /** Deletes the durable and every event published since prepare() that `mine` recognises. */
  async cleanUp(mine: (payload: Record<string, unknown>) => boolean): Promise<number> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.consumers.delete(EVENT_STREAM, this.durable).catch(() => undefined);
    const sc = StringCodec();
    const last = (await jsm.streams.info(EVENT_STREAM)).state.last_seq;
    let deleted = 0;
    for (let seq = this.firstSeq; seq <= last; seq++) {
      try {
        const m = await jsm.streams.getMessage(EVENT_STREAM, { seq });
        if (m.subject === EVENTS.generationFinished && mine(JSON.parse(sc.decode(m.data)))) {
          await jsm.streams.deleteMessage(EVENT_STREAM, seq, false);
          deleted++;
        }
      } catch {
        // already gone (deleted, or aged out)
      }
    }
    return deleted;
  }
}
