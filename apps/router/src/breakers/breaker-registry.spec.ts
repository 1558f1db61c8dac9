import { BreakerOpenError, BreakerRegistry, BreakerState, BreakerTimeoutError } from './breaker-registry';
import { Registry } from 'prom-client';
import { registerBreakerStateGauge } from './metrics';

type Result = { ok: true } | { ok: false; retryable: boolean };
const OK: Result = { ok: true };
const RETRYABLE: Result = { ok: false, retryable: true };
const BAD_REQUEST: Result = { ok: false, retryable: false };
/** What the router passes: retryable provider failures and thrown errors count against the route. */
const isFailure = (x: unknown) => x instanceof Error || (!!x && typeof x === 'object' && (x as Result).ok === false && (x as any).retryable === true);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROUTE = 'google/veo-3.1@fal';

describe('BreakerRegistry', () => {
  let changes: [string, BreakerState, BreakerState][];
  let made: BreakerRegistry[] = [];
  const make = (o: ConstructorParameters<typeof BreakerRegistry>[0] = {}) => {
    const log = changes; // each registry reports into the array of the test that made it
    const b = new BreakerRegistry(
      { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 50, rollingCountTimeoutMs: 1000, timeoutMs: 200, ...o },
      { onStateChange: (id, s, prev) => log.push([id, s, prev]) },
    );
    made.push(b);
    return b;
  };
  beforeEach(() => { changes = []; });
  afterEach(() => { for (const b of made) b.shutdown(); made = []; });

  const trip = async (b: BreakerRegistry, route = ROUTE, n = 3) => {
    for (let i = 0; i < n; i++) await b.run(route, async () => RETRYABLE, isFailure);
  };

  it('creates breakers lazily; unknown routes are closed', async () => {
    const b = make();
    expect(b.isOpen(ROUTE)).toBe(false);
    expect(b.states()).toEqual({});
    await b.run(ROUTE, async () => OK, isFailure);
    expect(b.states()).toEqual({ [ROUTE]: 'closed' });
  });

  it('returns fn results unchanged, including failure results', async () => {
    const b = make();
    await expect(b.run(ROUTE, async () => OK, isFailure)).resolves.toBe(OK);
    await expect(b.run(ROUTE, async () => RETRYABLE, isFailure)).resolves.toBe(RETRYABLE);
    await expect(b.run(ROUTE, async () => BAD_REQUEST, isFailure)).resolves.toBe(BAD_REQUEST);
  });

  it('opens after retryable failure results reach the threshold and reports the change', async () => {
    const b = make();
    await trip(b);
    expect(b.isOpen(ROUTE)).toBe(true);
    expect(b.state(ROUTE)).toBe('open');
    expect(changes).toEqual([[ROUTE, 'open', 'closed']]);
  });

  it('does not open below volumeThreshold', async () => {
    const b = make({ volumeThreshold: 5 });
    await trip(b, ROUTE, 4);
    expect(b.isOpen(ROUTE)).toBe(false);
  });

  it('counts non-retryable (bad request) results as successes', async () => {
    const b = make();
    for (let i = 0; i < 10; i++) await b.run(ROUTE, async () => BAD_REQUEST, isFailure);
    expect(b.isOpen(ROUTE)).toBe(false);
    expect(changes).toEqual([]);
  });

  it('respects the error percentage (50%: 2 failures out of 4 do not open, strictly above opens)', async () => {
    const b = make({ volumeThreshold: 4 });
    await b.run(ROUTE, async () => OK, isFailure);
    await b.run(ROUTE, async () => OK, isFailure);
    await b.run(ROUTE, async () => RETRYABLE, isFailure);
    await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.isOpen(ROUTE)).toBe(false);
    await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.isOpen(ROUTE)).toBe(true);
  });

  it('thrown errors: rethrown; counted when isFailure says so', async () => {
    const b = make();
    const boom = new Error('socket hang up');
    for (let i = 0; i < 3; i++) await expect(b.run(ROUTE, async () => { throw boom; }, isFailure)).rejects.toBe(boom);
    expect(b.isOpen(ROUTE)).toBe(true);

    const b2 = make();
    const validation = new Error('invalid input');
    for (let i = 0; i < 5; i++) await expect(b2.run(ROUTE, async () => { throw validation; }, () => false)).rejects.toBe(validation);
    expect(b2.isOpen(ROUTE)).toBe(false);
  });

  it('an open breaker rejects immediately without calling fn', async () => {
    const b = make();
    await trip(b);
    const fn = jest.fn(async () => OK);
    const err = await b.run(ROUTE, fn, isFailure).catch((e) => e);
    expect(err).toBeInstanceOf(BreakerOpenError);
    expect(err.routeId).toBe(ROUTE);
    expect(fn).not.toHaveBeenCalled();
  });

  it('keeps breakers independent per route', async () => {
    const b = make();
    await trip(b, 'a@fal');
    expect(b.isOpen('a@fal')).toBe(true);
    expect(b.isOpen('a@replicate')).toBe(false);
    await expect(b.run('a@replicate', async () => OK, isFailure)).resolves.toBe(OK);
  });

  it('half-opens after resetTimeout; a successful probe closes it with fresh statistics', async () => {
    const b = make();
    await trip(b);
    await sleep(80);
    expect(b.state(ROUTE)).toBe('half_open');
    expect(b.isOpen(ROUTE)).toBe(false); // selection lets the probe through
    await expect(b.run(ROUTE, async () => OK, isFailure)).resolves.toBe(OK);
    expect(b.state(ROUTE)).toBe('closed');
    expect(changes.map(([, s]) => s)).toEqual(['open', 'half_open', 'closed']);
    // old failures are forgotten: one new failure does not re-open
    await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.isOpen(ROUTE)).toBe(false);
  });

  it('half-open lets exactly one probe through; others are rejected while it runs', async () => {
    const b = make();
    await trip(b);
    await sleep(80);
    let release!: (r: Result) => void;
    const probe = b.run(ROUTE, () => new Promise<Result>((r) => { release = r; }), isFailure);
    expect(b.isOpen(ROUTE)).toBe(true); // probe in flight
    const second = jest.fn(async () => OK);
    await expect(b.run(ROUTE, second, isFailure)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(second).not.toHaveBeenCalled();
    release(OK);
    await expect(probe).resolves.toBe(OK);
    expect(b.state(ROUTE)).toBe('closed');
  });

  it('a failed probe re-opens the breaker', async () => {
    const b = make();
    await trip(b);
    await sleep(80);
    await expect(b.run(ROUTE, async () => RETRYABLE, isFailure)).resolves.toBe(RETRYABLE);
    expect(b.state(ROUTE)).toBe('open');
    expect(changes.map(([, s]) => s)).toEqual(['open', 'half_open', 'open']);
  });

  it('a probe that failed on our side (neutral) proves nothing: back to open, and a later probe decides', async () => {
    const b = make();
    await trip(b);
    await sleep(80);
    expect(b.state(ROUTE)).toBe('half_open');
    const ours = new Error('providers service unavailable');
    const isNeutral = (e: unknown) => e === ours;
    await expect(b.run(ROUTE, async () => { throw ours; }, isFailure, isNeutral)).rejects.toBe(ours);
    expect(b.state(ROUTE)).toBe('open');
    expect(b.isOpen(ROUTE)).toBe(true);
    expect(changes.map(([, s]) => s)).toEqual(['open', 'half_open', 'open']);
    // Closed, a neutral outcome is not a failure either: it does not open the breaker.
    await sleep(80);
    await b.run(ROUTE, async () => OK, isFailure);
    expect(b.state(ROUTE)).toBe('closed');
    for (let i = 0; i < 5; i++) await expect(b.run(ROUTE, async () => { throw ours; }, isFailure, isNeutral)).rejects.toBe(ours);
    expect(b.state(ROUTE)).toBe('closed');
  });

  it('closed, a neutral outcome is not a call either: it does not dilute the failures of the calls that reached the route', async () => {
    const b = make({ volumeThreshold: 4 });
    const ours = new Error('providers service did not answer in time');
    const isNeutral = (e: unknown) => e === ours;
    // Six calls never reached the route, then four reached it and three failed: 75 % of the route's
    // calls failed. Counted as calls, the six would have made it 3 of 10, and the breaker would stay closed.
    for (let i = 0; i < 6; i++) await expect(b.run(ROUTE, async () => { throw ours; }, isFailure, isNeutral)).rejects.toBe(ours);
    expect(b.state(ROUTE)).toBe('closed');
    await b.run(ROUTE, async () => OK, isFailure);
    for (let i = 0; i < 3; i++) await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.state(ROUTE)).toBe('open');
  });

  it('a neutral call is taken out of the bucket it was counted in, even when the window moved on while it ran', async () => {
    // 10 ms buckets: each slow neutral call starts in one bucket and ends in a later one (an empty one
    // at first, where there would be nothing to take back).
    const b = make({ volumeThreshold: 4, rollingCountTimeoutMs: 2000, rollingCountBuckets: 200 });
    const ours = new Error('providers service did not answer in time');
    const isNeutral = (e: unknown) => e === ours;
    const slowNeutral = async () => {
      await sleep(25);
      throw ours;
    };
    for (let i = 0; i < 6; i++) await expect(b.run(ROUTE, slowNeutral, isFailure, isNeutral)).rejects.toBe(ours);
    await b.run(ROUTE, async () => OK, isFailure);
    for (let i = 0; i < 3; i++) await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.state(ROUTE)).toBe('open');
  });

  it('a bad-request probe counts as success and closes the breaker', async () => {
    const b = make();
    await trip(b);
    await sleep(80);
    await b.run(ROUTE, async () => BAD_REQUEST, isFailure);
    expect(b.state(ROUTE)).toBe('closed');
  });

  it('a call slower than timeoutMs rejects with BreakerTimeoutError and counts as a failure', async () => {
    const b = make({ timeoutMs: 20, volumeThreshold: 1 });
    const err = await b.run(ROUTE, () => sleep(100).then(() => OK), isFailure).catch((e) => e);
    expect(err).toBeInstanceOf(BreakerTimeoutError);
    expect(b.isOpen(ROUTE)).toBe(true);
  });

  it('open()/close() force a state (operator action)', async () => {
    const b = make();
    b.open(ROUTE);
    expect(b.isOpen(ROUTE)).toBe(true);
    b.close(ROUTE);
    expect(b.isOpen(ROUTE)).toBe(false);
    expect(changes.map(([, s]) => s)).toEqual(['open', 'closed']);
    await expect(b.run(ROUTE, async () => OK, isFailure)).resolves.toBe(OK);
  });

  it('a throwing onStateChange observer does not break the breaker', async () => {
    const b = new BreakerRegistry({ volumeThreshold: 1, resetTimeoutMs: 50 }, { onStateChange: () => { throw new Error('observer'); } });
    made.push(b);
    await b.run(ROUTE, async () => RETRYABLE, isFailure);
    expect(b.isOpen(ROUTE)).toBe(true);
  });

  it('exposes states through the prom-client gauge (one-hot per route)', async () => {
    const b = make();
    await trip(b, 'a@fal');
    await b.run('a@replicate', async () => OK, isFailure);
    const registry = new Registry();
    registerBreakerStateGauge(b, registry);
    const text = await registry.metrics();
    expect(text).toContain('pipevideo_circuit_breaker_state{route="a@fal",state="open"} 1');
    expect(text).toContain('pipevideo_circuit_breaker_state{route="a@fal",state="closed"} 0');
    expect(text).toContain('pipevideo_circuit_breaker_state{route="a@replicate",state="closed"} 1');
  });
});
