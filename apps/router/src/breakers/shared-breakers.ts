import { kvKey, kvKeyPart, logger, type SharedKv } from '@pipevideo/platform';
import type { BreakerRegistry, BreakerState, TransitionOrigin } from './breaker-registry';

export const BREAKER_KEY_PREFIX = 'breaker';

interface SharedBreakerState {
  state: 'open' | 'closed';
  /** ms since the epoch, when the replica `by` made the transition. */
  at: number;
  by: string;
}

/**
 * Makes a route's circuit breaker one for all router replicas. Counting stays per replica (opossum's
 * rolling window); what is shared is the decision: when a replica's breaker opens, or closes after a
 * successful probe, it writes `{state, at, by}` under the route's key of the shared bucket, and every
 * other replica watching the bucket applies it to its own breaker (`applyShared`) — so an outage one
 * replica has seen stops traffic from all of them as fast as the watch delivers (milliseconds). An
 * `open` older than the reset timeout is ignored (a replica starting later must not re-open a route
 * whose open period is over). Half-open is not shared: each replica probes once when its timer ends,
 * and the first probe's result (open again / closed) is shared.
 */
export class SharedBreakers {
  private watch?: { stop(): void };

  constructor(
    private readonly kv: SharedKv,
    private readonly breakers: BreakerRegistry,
    private readonly owner: string,
    private readonly resetTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    this.watch = await this.kv.watch((e) => {
      const [prefix, enc] = e.key.split('.');
      if (prefix !== BREAKER_KEY_PREFIX || !enc || !e.value) return;
      let s: SharedBreakerState;
      try {
        s = JSON.parse(e.value) as SharedBreakerState;
      } catch {
        return;
      }
      if (s.by === this.owner) return;
      if (s.state === 'open' && this.now() - s.at >= this.resetTimeoutMs) return;
      if (s.state !== 'open' && s.state !== 'closed') return;
      this.breakers.applyShared(kvKeyPart(enc), s.state);
    });
  }

  stop(): void {
    this.watch?.stop();
  }

  /** The registry's state-change hook: shares this replica's own opens and closes. */
  onStateChange(routeId: string, state: BreakerState, origin: TransitionOrigin): void {
    if (origin !== 'local' || state === 'half_open') return;
    const value: SharedBreakerState = { state, at: this.now(), by: this.owner };
    this.kv.put(kvKey(BREAKER_KEY_PREFIX, routeId), JSON.stringify(value)).catch((err) =>
      logger.warn({ routeId, state, err: String(err) }, 'could not share a circuit breaker transition'),
    );
  }
}
