import { EVENTS, type GenerationFinishedEvt } from '@pipevideo/contracts';
import { logger, processOnce, subscribeEvents, type EventBus } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { rows } from '@pipevideo/platform';
import { customerEventFromGeneration } from '../domain/event-payloads';
import { newId } from '../domain/ids';
import type { DeliveryStore, EnqueueItem } from '../delivery/delivery-store';
import { GroupCommit } from '../delivery/group-commit';

/** Inbox name for de-duplication (the platform's `inbox` table, in this service's own schema). */
export const INBOX_CONSUMER = 'webhooks';

/**
 * `generation.finished` → one customer event and one delivery per enabled endpoint of that org
 * subscribed to its type, committed together with the event's inbox row (a redelivered event creates
 * nothing twice). The event is acked only after that commit, so nothing is lost between JetStream and
 * our queue.
 *
 * This is `processOnce` for a batch: events handled concurrently (JetStream hands out up to 32 at
 * once) share one transaction — same inbox rows, same all-or-nothing commit per event — which makes a
 * burst several times cheaper. Should a batch fail, each of its events is retried alone through
 * `processOnce`, so one bad event cannot hold the others back.
 */
export class GenerationFinishedConsumer {
  private readonly batches = new GroupCommit<GenerationFinishedEvt, number>((evts) => this.fanOut(evts), 200);

  constructor(
    private readonly ds: DataSource,
    private readonly queue: DeliveryStore,
    /** Deliveries were committed: wake the worker. */
    private readonly kick: () => void,
  ) {}

  async subscribe(bus: EventBus, durableName: string): Promise<void> {
    // Decoded by the seam: a malformed event is dead-lettered (alerted, replayable), never silently skipped.
    await subscribeEvents(bus, durableName, { [EVENTS.generationFinished]: (evt) => this.handle(evt) });
  }

  async handle(evt: GenerationFinishedEvt): Promise<void> {
    if ((await this.batches.submit(evt)) > 0) this.kick();
  }

  /** @returns deliveries created per event (0 for a duplicate), or the Error of an event that failed. */
  private async fanOut(evts: GenerationFinishedEvt[]): Promise<Array<number | Error>> {
    if (evts.length === 1) return [await this.one(evts[0]).catch((err: Error) => err)];
    try {
      return await this.ds.transaction(async (m) => {
        const ids = [...new Set(evts.map((e) => e.eventId))];
        const fresh = new Set(
          (await rows<{ event_id: string }>(
            m,
            `INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
            [INBOX_CONSUMER, ids],
          )).map((r) => r.event_id),
        );
        const todo = new Map<string, EnqueueItem>();
        for (const e of evts) {
          const item = fresh.has(e.eventId) && !todo.has(e.eventId) ? enqueueItem(e, newId('msg')) : null;
          if (item) todo.set(e.eventId, item);
        }
        const created = await this.queue.enqueueMany(m, [...todo.values()]);
        const counted = new Set<string>();
        return evts.map((e) => {
          const t = todo.get(e.eventId);
          if (!t || counted.has(e.eventId)) return 0;
          counted.add(e.eventId);
          return created.get(t.messageId) ?? 0;
        });
      });
    } catch (err) {
      logger.warn({ err: String(err), events: evts.length }, 'webhook fan-out batch failed; retrying its events one by one');
      return Promise.all(evts.map((e) => this.one(e).catch((e2: Error) => e2)));
    }
  }

  private async one(evt: GenerationFinishedEvt): Promise<number> {
    const messageId = newId('msg');
    let created = 0;
    await processOnce(this.ds, INBOX_CONSUMER, evt.eventId, async (m) => {
      const item = enqueueItem(evt, messageId);
      if (!item) return;
      const counts = await this.queue.enqueueMany(m, [item]);
      created = counts.get(messageId) ?? 0;
    });
    return created;
  }
}

/**
 * The customer event plus what its deliveries keep about the source: the event id, and the correlation
 * id for their logs. Null when the generation raises no customer event (a cancelled Responses job).
 */
function enqueueItem(evt: GenerationFinishedEvt, messageId: string): EnqueueItem | null {
  const event = customerEventFromGeneration(evt);
  if (!event) return null;
  // The gateway caps ids at 128 characters; the event is another service's input, so cap it here too.
  const correlationId = typeof evt.correlationId === 'string' && evt.correlationId ? evt.correlationId.slice(0, 128) : null;
  return { event, messageId, sourceEventId: evt.eventId, correlationId };
}
