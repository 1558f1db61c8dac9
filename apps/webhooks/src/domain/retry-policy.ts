/**
 * What happens after one delivery attempt: the delivery's next state and what it means for the
 * endpoint (failure streak, disabling). Pure, so every rule is unit-tested without a database.
 */

export type DisableReason = 'gone' | 'failing' | 'exhausted' | 'manual';

export interface AttemptResult {
  /** 2xx. */
  ok: boolean;
  statusCode: number | null;
}

export interface EndpointHealth {
  /** Start of the current run of failures (null after a success). */
  failingSince: Date | null;
  /** Deliveries in a row that exhausted their retries. */
  consecutiveExhausted: number;
}

export interface RetryPolicyOptions {
  retryScheduleMs: number[];
  retryJitter: number;
  disableAfterFailingMs: number;
  disableAfterExhausted: number;
}

export type AttemptDecision =
  | { delivery: 'succeeded'; endpoint: 'healthy' }
  | { delivery: 'pending'; retryInMs: number; endpoint: 'failing' }
  | { delivery: 'exhausted'; endpoint: 'failing' }
  | { delivery: 'failed' | 'exhausted'; endpoint: 'disable'; reason: DisableReason };

export class RetryPolicy {
  constructor(private readonly o: RetryPolicyOptions, private readonly random: () => number = Math.random) {}

  /** Attempts a delivery gets before it is exhausted. */
  get maxAttempts(): number {
    return this.o.retryScheduleMs.length + 1;
  }

  /** Delay before the attempt after `attemptsMade` failed ones, with jitter; null when none is left. */
  retryDelay(attemptsMade: number): number | null {
    const base = this.o.retryScheduleMs[attemptsMade - 1];
    if (base === undefined) return null;
    const factor = 1 - this.o.retryJitter + 2 * this.o.retryJitter * this.random();
    return Math.max(0, Math.round(base * factor));
  }

  /**
   * @param attemptsMade attempts of this delivery so far, including the one just made.
   */
  decide(result: AttemptResult, attemptsMade: number, health: EndpointHealth, now: Date): AttemptDecision {
    if (result.ok) return { delivery: 'succeeded', endpoint: 'healthy' };
    // 410 Gone: the receiver tells us the endpoint no longer exists — stop at once.
    if (result.statusCode === 410) return { delivery: 'failed', endpoint: 'disable', reason: 'gone' };

    const failingFor = health.failingSince ? now.getTime() - health.failingSince.getTime() : 0;
    const failingTooLong = failingFor > this.o.disableAfterFailingMs;
    const retryInMs = this.retryDelay(attemptsMade);
    if (retryInMs === null) {
      if (health.consecutiveExhausted + 1 >= this.o.disableAfterExhausted) return { delivery: 'exhausted', endpoint: 'disable', reason: 'exhausted' };
      if (failingTooLong) return { delivery: 'exhausted', endpoint: 'disable', reason: 'failing' };
      return { delivery: 'exhausted', endpoint: 'failing' };
    }
    if (failingTooLong) return { delivery: 'failed', endpoint: 'disable', reason: 'failing' };
    return { delivery: 'pending', retryInMs, endpoint: 'failing' };
  }

  /** The sentence the org sees in `disabled_reason`. */
  describe(reason: DisableReason): string {
    switch (reason) {
      case 'gone':
        return 'The endpoint answered 410 Gone, so deliveries to it were stopped.';
      case 'failing':
        return `Every delivery attempt failed for more than ${humanDuration(this.o.disableAfterFailingMs)}.`;
      case 'exhausted':
        return `The last ${this.o.disableAfterExhausted} deliveries failed after all their retries.`;
      case 'manual':
        return 'Disabled by the organization.';
    }
  }
}

export function humanDuration(ms: number): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}
