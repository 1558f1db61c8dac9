import type { DataSource } from 'typeorm';
import { EVENTS, GenerationFinishedEvt, HoldReleaseRequestedEvt } from '@pipevideo/contracts';
import { EventBus, PoisonEventError, processOnce } from '@pipevideo/platform';
import type { BillingMetrics } from '../metrics/billing-metrics';
import type { Move } from '../ledger/moves';
import type { GenerationSettlement } from './generation-settlement';

export const BILLING_EVENT_SUBJECTS = [EVENTS.holdReleaseRequested, EVENTS.generationFinished];

/** Why an event is dead-lettered at once rather than retried: retrying a malformed event can never succeed. */
function invalid(subject: string, e: any): string | null {
  if (!e || typeof e !== 'object') return 'payload is not an object';
  if (typeof e.eventId !== 'string' || !e.eventId) return 'eventId missing';
  if (typeof e.orgId !== 'string' || !e.orgId) return 'orgId missing';
  if (subject === EVENTS.holdReleaseRequested) return typeof e.holdId === 'string' && e.holdId ? null : 'holdId missing';
  if (typeof e.generationId !== 'string' || !e.generationId) return 'generationId missing';
  if (e.api !== 'video' && e.api !== 'responses') return 'api must be video or responses';
  if (typeof e.succeeded !== 'boolean') return 'succeeded missing';
  if (e.holdId !== null && e.holdId !== undefined && typeof e.holdId !== 'string') return 'holdId must be a string or null';
  return null;
}

/**
 * Consumes the durable events billing settles on. Each event runs in one DB transaction together
 * with its inbox row (processOnce), so a redelivery is a no-op. Database trouble throws (the bus
 * redelivers with backoff, up to its limit, then dead-letters); a malformed event is dead-lettered at once.
 */
export class BillingEventConsumer {
  constructor(
    private readonly ds: DataSource,
    private readonly settlement: GenerationSettlement,
    private readonly metrics: BillingMetrics,
    private readonly inboxConsumer = 'billing',
  ) {}

  async start(bus: EventBus, durableName = 'billing'): Promise<void> {
    await bus.subscribe(durableName, BILLING_EVENT_SUBJECTS, (subject, payload) => this.handle(subject, payload));
  }

  async handle(subject: string, payload: string): Promise<void> {
    let evt: any;
    try {
      evt = JSON.parse(payload);
    } catch {
      throw new PoisonEventError('billing: the event is not JSON');
    }
    // Retrying cannot fix it, and dropping it could leave a hold open: to the dead-letter queue (alerted).
    const why = invalid(subject, evt);
    if (why) throw new PoisonEventError(`billing: malformed ${subject} event: ${why}`);
    let moved: Move[] = [];
    const fresh = await processOnce(this.ds, this.inboxConsumer, evt.eventId, async (m) => {
      moved =
        subject === EVENTS.generationFinished
          ? await this.settlement.onGenerationFinished(m, evt as GenerationFinishedEvt)
          : await this.settlement.onHoldReleaseRequested(m, evt as HoldReleaseRequestedEvt);
    });
    // Counted only after the commit, and only once per event.
    if (fresh) this.metrics.record(moved);
  }
}
