import type { DataSource, EntityManager } from 'typeorm';
import { EVENTS } from '@pipevideo/contracts';
import { EventBus, processOnce, subscribeEvents } from '@pipevideo/platform';
import type { BillingMetrics } from '../billing.metrics';
import type { Move } from '../ledger/moves';
import type { GenerationSettlement } from './generation-settlement';

/**
 * Consumes the durable events billing settles on. Each arrives decoded by the seam (a malformed one is
 * dead-lettered at once: retrying cannot fix it, and dropping it could leave a hold open). Each event
 * runs in one DB transaction together with its inbox row (processOnce), so a redelivery is a no-op.
 * Database trouble throws (the bus redelivers with backoff, up to its limit, then dead-letters).
 */
export class BillingEventConsumer {
  constructor(
    private readonly ds: DataSource,
    private readonly settlement: GenerationSettlement,
    private readonly metrics: BillingMetrics,
    private readonly inboxConsumer = 'billing',
  ) {}

  async start(bus: EventBus, durableName = 'billing'): Promise<void> {
    await subscribeEvents(bus, durableName, {
      [EVENTS.generationFinished]: async (e) => void (await this.settle(e.eventId, (m) => this.settlement.onGenerationFinished(m, e))),
      [EVENTS.holdReleaseRequested]: async (e) => void (await this.settle(e.eventId, (m) => this.settlement.onHoldReleaseRequested(m, e))),
    });
  }

  /**
   * The release a `hold.release_requested` event asks for, asked directly (`billing.hold.release`: a
   * fallback about to hold for its next route). The router names the event `release:<holdId>`; this runs
   * under that inbox id, so the release is applied once whichever arrives first. @returns false when it
   * had been applied before.
   */
  releaseNow(r: { orgId: string; holdId: string; reason: string }): Promise<boolean> {
    const eventId = `release:${r.holdId}`;
    return this.settle(eventId, (m) => this.settlement.onHoldReleaseRequested(m, { v: 1, eventId, ...r }));
  }

  private async settle(eventId: string, apply: (m: EntityManager) => Promise<Move[]>): Promise<boolean> {
    let moved: Move[] = [];
    const fresh = await processOnce(this.ds, this.inboxConsumer, eventId, async (m) => {
      moved = await apply(m);
    });
    // Counted only after the commit, and only once per event.
    if (fresh) this.metrics.record(moved);
    return fresh;
  }
}
