import { InMemorySharedKv } from '@pipevideo/platform';
import { BreakerRegistry, BreakerState, TransitionOrigin } from './breaker-registry';
import { SharedBreakers } from './shared-breakers';

type Change = [string, BreakerState, TransitionOrigin];

/** One router replica: its breakers, shared through the bucket. */
async function replica(kv: InMemorySharedKv, name: string, resetTimeoutMs = 60_000) {
  const changes: Change[] = [];
  // The registry's hook needs the SharedBreakers built from that registry: wired as the engine does.
  const hook: { shared?: SharedBreakers } = {};
  const breakers = new BreakerRegistry({ volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs, timeoutMs: false }, {
    onStateChange: (route, state, _prev, origin) => {
      changes.push([route, state, origin]);
      hook.shared?.onStateChange(route, state, origin);
    },
  });
  const shared = (hook.shared = new SharedBreakers(kv, breakers, name, resetTimeoutMs));
  await shared.start();
  return { breakers, shared, changes };
}

const settle = () => new Promise((r) => setTimeout(r, 10));
const fail = (b: BreakerRegistry, route: string) => b.run(route, async () => ({ ok: false, retryable: true }), (r: any) => r?.ok === false);

describe('SharedBreakers', () => {
  it('a route opened by one replica is open on the other; a close after a good probe closes it everywhere', async () => {
    const kv = new InMemorySharedKv({ maxAgeMs: 600_000 });
    const a = await replica(kv, 'a');
    const b = await replica(kv, 'b');
    await fail(a.breakers, 'm@fal');
    await fail(a.breakers, 'm@fal');
    expect(a.breakers.isOpen('m@fal')).toBe(true);
    await settle();
    expect(b.breakers.isOpen('m@fal')).toBe(true);
    expect(b.changes).toEqual([['m@fal', 'open', 'shared']]);
    expect(a.changes).toEqual([['m@fal', 'open', 'local']]);

    // b's breaker closes (as after a successful probe): a follows; nobody echoes the other's transition back.
    b.breakers.close('m@fal');
    await settle();
    expect(a.breakers.isOpen('m@fal')).toBe(false);
    expect(a.changes).toEqual([['m@fal', 'open', 'local'], ['m@fal', 'closed', 'shared']]);
    a.shared.stop();
    b.shared.stop();
    a.breakers.shutdown();
    b.breakers.shutdown();
  });

  it('a replica starting later opens routes whose open period is still running, not older ones', async () => {
    const kv = new InMemorySharedKv({ maxAgeMs: 600_000 });
    await kv.put('breaker.fresh', JSON.stringify({ state: 'open', at: Date.now(), by: 'x' }));
    await kv.put('breaker.old', JSON.stringify({ state: 'open', at: Date.now() - 120_000, by: 'x' }));
    const late = await replica(kv, 'late');
    expect(late.breakers.isOpen('fresh')).toBe(true);
    expect(late.breakers.isOpen('old')).toBe(false);
    late.shared.stop();
    late.breakers.shutdown();
  });
});
