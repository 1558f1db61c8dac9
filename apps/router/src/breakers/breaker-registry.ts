/**
 * One circuit breaker (opossum) per route id, created lazily on first use.
 *
 * Our provider submit does not throw on provider errors: it returns `{ ok: false, retryable, ... }`.
 * `run(routeId, fn, isFailure)` therefore classifies both outcomes with `isFailure`:
 * - a resolved value with `isFailure(value) === true` counts as a breaker failure, but is still
 *   *returned* to the caller unchanged (the router decides about fallback from the value);
 * - a resolved value with `isFailure(value) === false` (e.g. `{ok:false, retryable:false}` — a bad
 *   request is the customer's fault, not the provider's) counts as a success;
 * - a thrown error counts as a failure when `isFailure(error)` is true, as a success otherwise, and
 *   is re-thrown either way;
 * - a call slower than `timeoutMs` counts as a failure and rejects with BreakerTimeoutError (the
 *   underlying promise keeps running; its late outcome is ignored by the breaker);
 * - while the breaker is open, `run` rejects with BreakerOpenError without calling fn. After
 *   `resetTimeoutMs` it is half-open: opossum lets exactly one probe through (other calls are
 *   rejected as open meanwhile); a successful probe closes it, a failed one re-opens it.
 *
 * A thrown error `isNeutral` picks out (our own side failed: the providers service unreachable or slow)
 * counts as nothing at all: not a failure, not a success, not even a call in the rolling window; a
 * half-open breaker whose probe ended neutral goes back to open.
 *
 * When a breaker closes after a successful probe, its rolling statistics are discarded (the breaker
 * is replaced by a fresh one on next use): opossum keeps the pre-outage failures in its window, and a
 * single new failure would otherwise re-open a provider that has just recovered.
 *
 * Opening rule (opossum): open when, within the rolling window of `rollingCountTimeoutMs`, at least
 * `volumeThreshold` calls were made and the failure percentage is strictly greater than
 * `errorThresholdPercentage`.
 */
import CircuitBreaker from 'opossum';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Failure percentage (strictly) above which the breaker opens. Default 50. */
  errorThresholdPercentage: number;
  /** Minimum calls in the rolling window before the breaker may open. Default 5. */
  volumeThreshold: number;
  /** How long the breaker stays open before letting a probe through. Default 30 s. */
  resetTimeoutMs: number;
  /** Length of the rolling statistics window. Default 60 s. */
  rollingCountTimeoutMs: number;
  /** Buckets of the rolling window (rollingCountTimeoutMs should be a multiple). Default 10. */
  rollingCountBuckets: number;
  /** A call slower than this counts as a failure and rejects with BreakerTimeoutError; false = no timeout. Default 30 s. */
  timeoutMs: number | false;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 30_000,
  rollingCountTimeoutMs: 60_000,
  rollingCountBuckets: 10,
  timeoutMs: 30_000,
};

/** Where a transition came from: this replica's own calls, or another replica's (see applyShared). */
export type TransitionOrigin = 'local' | 'shared';

export interface BreakerRegistryHooks {
  /** Called on every transition (not on creation: a new breaker is closed). Exceptions are swallowed. */
  onStateChange?: (routeId: string, state: BreakerState, previous: BreakerState, origin: TransitionOrigin) => void;
}

/** The breaker of `routeId` is open (or half-open with its probe in flight): fn was not called. */
export class BreakerOpenError extends Error {
  readonly code = 'EOPENBREAKER';
  constructor(public readonly routeId: string) {
    super(`Circuit breaker open for route ${routeId}`);
    this.name = 'BreakerOpenError';
  }
}

/** fn did not settle within timeoutMs; counted as a breaker failure. */
export class BreakerTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(public readonly routeId: string, public readonly timeoutMs: number) {
    super(`Route ${routeId} did not answer within ${timeoutMs}ms`);
    this.name = 'BreakerTimeoutError';
  }
}

type Action = () => Promise<unknown>;
type Classifier = (resultOrError: unknown) => boolean;

/** Internal carrier: a resolved value classified as a failure, thrown so opossum counts it. */
class FailedResult {
  constructor(public readonly value: unknown) {}
}

/** One bucket of opossum's rolling window (its live object: `status.window` copies the array, not the buckets). */
interface Bucket {
  fires: number;
}

interface Entry {
  breaker: CircuitBreaker<[Action, Classifier, Classifier | undefined], unknown>;
  /** The window bucket each call in flight was counted in when it started. */
  firedIn: WeakMap<Action, Bucket | undefined>;
  state: BreakerState;
  /** Closed after a successful probe: replace by a fresh breaker (fresh stats) on next use. */
  stale: boolean;
}

export class BreakerRegistry {
  private readonly options: BreakerOptions;
  private readonly entries = new Map<string, Entry>();
  /** Set while a transition another replica decided is being applied, so hooks can tell it apart. */
  private applying?: string;

  constructor(options: Partial<BreakerOptions> = {}, private readonly hooks: BreakerRegistryHooks = {}) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...stripUndefined(options) };
  }

  /**
   * True when a call on this route would be rejected right now without reaching the provider:
   * the breaker is open, or half-open with its single probe already in flight. A half-open breaker
   * waiting for its probe is *not* open, so route selection lets the probe happen. Routes never
   * used have no breaker and are closed.
   */
  isOpen(routeId: string): boolean {
    const e = this.entries.get(routeId);
    if (!e) return false;
    return !e.breaker.closed && !e.breaker.pendingClose;
  }

  state(routeId: string): BreakerState {
    return this.entries.get(routeId)?.state ?? 'closed';
  }

  /** State of every breaker created so far (for the breaker-state gauge). */
  states(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [id, e] of this.entries) out[id] = e.state;
    return out;
  }

  /**
   * Runs `fn` through the route's breaker. `isFailure` says what counts against the route. `isNeutral`
   * picks out thrown errors that say nothing about it (our own: the providers service unreachable or
   * slow): not failures — and, unlike a success, not proof either: a half-open breaker whose probe ends
   * neutral goes back to open (a later probe decides), instead of closing on a route nobody reached.
   */
  async run<T>(routeId: string, fn: () => Promise<T>, isFailure: (resultOrError: unknown) => boolean, isNeutral?: (err: unknown) => boolean): Promise<T> {
    const { breaker, firedIn } = this.entry(routeId);
    // Each call its own action, so a neutral outcome can be taken out of the bucket it was counted in.
    const call = () => fn();
    firedIn.set(call, currentBucket(breaker));
    try {
      return (await breaker.fire(call, isFailure, isNeutral)) as T;
    } catch (err) {
      if (err instanceof FailedResult) return err.value as T;
      if (err instanceof Error && CircuitBreaker.isOurError(err)) {
        const code = (err as Error & { code?: string }).code;
        if (code === 'EOPENBREAKER') throw new BreakerOpenError(routeId);
        if (code === 'ETIMEDOUT') throw new BreakerTimeoutError(routeId, this.options.timeoutMs as number);
      }
      throw err;
    }
  }

  /** Forces a route's breaker open (operator action, tests). */
  open(routeId: string): void {
    this.entry(routeId).breaker.open();
  }

  /** Forces a route's breaker closed with fresh statistics. */
  close(routeId: string): void {
    const e = this.entries.get(routeId);
    if (!e) return;
    e.breaker.close();
    e.stale = true;
  }

  /**
   * Applies a transition another replica made (shared breaker state): `open` opens this replica's
   * breaker too (it goes half-open after resetTimeoutMs here as well, and probes on its own); `closed`
   * closes it with fresh statistics. Hooks see these transitions with origin `shared`.
   */
  applyShared(routeId: string, state: 'open' | 'closed'): void {
    if (state === 'open' && this.state(routeId) === 'open') return;
    if (state === 'closed' && this.state(routeId) === 'closed') return;
    this.applying = routeId;
    try {
      if (state === 'open') this.open(routeId);
      else this.close(routeId);
    } finally {
      this.applying = undefined;
    }
  }

  /** Stops every breaker's timers (service shutdown, end of tests). */
  shutdown(): void {
    for (const e of this.entries.values()) e.breaker.shutdown();
    this.entries.clear();
  }

  private entry(routeId: string): Entry {
    const existing = this.entries.get(routeId);
    if (existing && !existing.stale) return existing;
    if (existing) existing.breaker.shutdown();
    const entry = this.create(routeId);
    this.entries.set(routeId, entry);
    return entry;
  }

  private create(routeId: string): Entry {
    const o = this.options;
    // Set when a half-open breaker's probe ended neutral: opossum calls that a success and closes the
    // breaker; the close is turned back into an open (see run).
    let neutralProbe = false;
    const firedIn = new WeakMap<Action, Bucket | undefined>();
    const breaker = new CircuitBreaker<[Action, Classifier, Classifier | undefined], unknown>(
      async (fn: Action, isFailure: Classifier) => {
        const value = await fn();
        if (isFailure(value)) throw new FailedResult(value);
        return value;
      },
      {
        name: routeId,
        timeout: o.timeoutMs,
        errorThresholdPercentage: o.errorThresholdPercentage,
        volumeThreshold: o.volumeThreshold,
        resetTimeout: o.resetTimeoutMs,
        rollingCountTimeout: o.rollingCountTimeoutMs,
        rollingCountBuckets: o.rollingCountBuckets,
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
        // true = "not a failure". Our own FailedResult and opossum's errors (timeout) are failures;
        // anything fn threw is classified by the caller.
        errorFilter: (err: unknown, fn?: Action, isFailure?: Classifier, isNeutral?: Classifier) => {
          if (err instanceof FailedResult) return false;
          if (err instanceof Error && CircuitBreaker.isOurError(err)) return false;
          if (isNeutral?.(err)) {
            if (breaker.halfOpen) neutralProbe = true;
            else uncountFire(fn ? firedIn.get(fn) : undefined);
            return true;
          }
          return isFailure ? !isFailure(err) : false;
        },
      },
    );
    const entry: Entry = { breaker, firedIn, state: 'closed', stale: false };
    const transition = (state: BreakerState) => {
      // Events of a breaker already replaced must not leak into the current state.
      if (this.entries.get(routeId) !== entry) return;
      const previous = entry.state;
      if (previous === state) return;
      if (state === 'closed' && previous === 'half_open' && neutralProbe) {
        // The probe never reached the route: nothing is proven, so open again (announced as such) and
        // let the next probe, after resetTimeout, decide.
        neutralProbe = false;
        breaker.open();
        return;
      }
      neutralProbe = false;
      entry.state = state;
      if (state === 'closed' && previous === 'half_open') entry.stale = true;
      try {
        this.hooks.onStateChange?.(routeId, state, previous, this.applying === routeId ? 'shared' : 'local');
      } catch {
        /* a failing observer must not break the breaker */
      }
    };
    breaker.on('open', () => transition('open'));
    breaker.on('halfOpen', () => transition('half_open'));
    breaker.on('close', () => transition('closed'));
    return entry;
  }
}

/**
 * The bucket opossum counts a call in when it starts: the newest of `status.window`, which hands out the
 * live bucket objects. `breaker-registry.spec.ts` pins this against opossum's internals.
 */
function currentBucket(breaker: { status: unknown }): Bucket | undefined {
  return (breaker.status as unknown as { window: Bucket[] }).window[0];
}

/**
 * Takes a neutral call back out of the rolling window. opossum counted it as a fire when it started, and
 * opens on failures / fires: left in, calls that never reached the route would dilute its real failures
 * (a route failing 60 % of the calls that reached it could stay closed while our side was slow for
 * others). Taken from the bucket it was counted in, which is still in the window or gone (then nothing
 * is left to take); never below zero.
 */
function uncountFire(bucket: Bucket | undefined): void {
  if (bucket && bucket.fires > 0) bucket.fires--;
}

function stripUndefined<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
