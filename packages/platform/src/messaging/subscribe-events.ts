import { decodeEvent, type EventOf, type EventSubjectName } from '@pipevideo/contracts';
import { PoisonEventError, type SubscribeOptions } from './dead-letters';
import type { EventBus } from './event-bus';

/** One handler per subject, each receiving its event decoded and typed by the seam map. */
export type EventHandlers = { [S in EventSubjectName]?: (evt: EventOf<S>) => Promise<void> };

/**
 * A named durable consumer of the subjects `handlers` names. Each event is parsed and decoded once, here;
 * one that is not JSON or does not match its subject's event type can never succeed, so it goes to the
 * dead-letter queue at once (alerted, inspectable, replayable) instead of being redelivered.
 */
export async function subscribeEvents(bus: EventBus, consumer: string, handlers: EventHandlers, opts?: SubscribeOptions): Promise<void> {
  const subjects = Object.keys(handlers) as EventSubjectName[];
  await bus.subscribe(
    consumer,
    subjects,
    async (subject, payload) => {
      const s = subject as EventSubjectName;
      const handler = handlers[s] as ((evt: EventOf<typeof s>) => Promise<void>) | undefined;
      if (!handler) throw new PoisonEventError(`${consumer}: no handler for ${subject}`);
      let evt: EventOf<typeof s>;
      try {
        evt = decodeEvent(s, JSON.parse(payload));
      } catch (err) {
        throw new PoisonEventError(`${consumer}: malformed ${subject} event: ${(err as Error).message}`);
      }
      await handler(evt);
    },
    opts,
  );
}
