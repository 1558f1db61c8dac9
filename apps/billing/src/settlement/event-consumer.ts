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
      [EVENTS.generationFinished]: (e) => this.settle(e.eventId, (m) => this.settlement.onGenerationFinished(m, e)),
      [EVENTS.holdReleaseRequested]: (e) => this.settle(e.eventId, (m) => this.settlement.onHoldReleaseRequested(m, e)),
    });
  }

  /**
   * The release a `hold.release_requested` event asks for, asked directly (`billing.hold.release`: a
   * fallback about to hold for its next route). The router names the event `release:<holdId>`; this runs
   * under that inbox id, so the release is applied once whichever arrives first. @returns true only when
   * this released an open hold (false: applied before, or the hold was not open).
   */
  async releaseNow(r: { orgId: string; holdId: string; reason: string }): Promise<boolean> {
    let released = false;
    await this.settle(`release:${r.holdId}`, async (m) => {
      const result = await this.settlement.releaseHold(m, r);
      released = result.outcome === 'released';
      return result.moves;
    });
    return released;
  }

  private async settle(eventId: string, apply: (m: EntityManager) => Promise<Move[]>): Promise<void> {
    let moved: Move[] = [];
    const fresh = await processOnce(this.ds, this.inboxConsumer, eventId, async (m) => {
      moved = await apply(m);
    });
    // Counted only after the commit, and only once per event.
    if (fresh) this.metrics.record(moved);
  }
}
