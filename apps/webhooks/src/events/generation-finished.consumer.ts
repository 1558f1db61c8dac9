import { EVENTS } from '@pipevideo/contracts';
import { logger, processOnce, type EventBus } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { customerEventFromGeneration, parseGenerationFinished } from '../domain/event-payloads';
import { newId } from '../domain/ids';
import type { DeliveryStore } from '../delivery/delivery-store';

/** Inbox name for de-duplication (in this service's own schema). */
export const INBOX_CONSUMER = 'webhooks';

/**
 * `generation.finished` → one customer event and one delivery per enabled endpoint of that org
 * subscribed to its type, committed with the inbox row (a redelivered event creates nothing twice).
 * The event is acked only after that commit, so nothing is lost between JetStream and our queue.
 */
export class GenerationFinishedConsumer {
  constructor(
    private readonly ds: DataSource,
    private readonly queue: DeliveryStore,
    /** Deliveries were committed: wake the worker. */
    private readonly kick: () => void,
  ) {}

  async subscribe(bus: EventBus, durableName: string): Promise<void> {
    await bus.subscribe(durableName, [EVENTS.generationFinished], (_subject, payload) => this.handle(payload));
  }

  async handle(payload: string): Promise<void> {
    let evt;
    try {
      evt = parseGenerationFinished(payload);
    } catch (err) {
      // Redelivering a malformed event would fail forever: report it and move on.
      logger.error({ err: String(err) }, 'malformed generation.finished event skipped');
      return;
    }
    const event = customerEventFromGeneration(evt);
    let created = 0;
    await processOnce(this.ds, INBOX_CONSUMER, evt.eventId, async (m) => {
      created = (await this.queue.enqueue(m, event, newId('msg'), evt.eventId)).length;
    });
    if (created) this.kick();
  }
}
