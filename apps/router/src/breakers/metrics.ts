import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerRegistry, BreakerState, TransitionOrigin } from './breaker-registry';

const STATES: readonly BreakerState[] = ['closed', 'half_open', 'open'];

/**
 * Registers `pipevideo_circuit_breaker_state{route, state}` on `registry`: one series per route and
 * state, 1 for the current state and 0 for the others (alert on `{state="open"} == 1`). Read from
 * `breakers.states()` at scrape time; routes appear once their breaker has been used. Labels are
 * bounded by the catalog's route ids.
 */
export function registerBreakerStateGauge(breakers: BreakerRegistry, registry: Registry, name = 'pipevideo_circuit_breaker_state'): Gauge<'route' | 'state'> {
  return new Gauge({
    name,
    help: 'Circuit breaker state per provider route (1 = current state)',
    labelNames: ['route', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, current] of Object.entries(breakers.states())) {
        for (const state of STATES) this.set({ route, state }, state === current ? 1 : 0);
      }
    },
  });
}

/**
 * `pipevideo_circuit_breaker_transitions_total{route, state, origin}`: `origin="local"` when this
 * replica's own calls moved the breaker, `"shared"` when it followed another replica's (SharedBreakers).
 */
export function registerBreakerTransitionCounter(registry: Registry): (route: string, state: BreakerState, origin: TransitionOrigin) => void {
  const c = new Counter({
    name: 'pipevideo_circuit_breaker_transitions_total',
    help: 'Circuit breaker transitions by route, new state and origin (local: this replica decided; shared: another replica did)',
    labelNames: ['route', 'state', 'origin'],
    registers: [registry],
  });
  return (route, state, origin) => c.inc({ route, state, origin });
}
