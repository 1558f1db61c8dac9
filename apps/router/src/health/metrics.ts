import { Counter, Gauge, type Registry } from 'prom-client';
import type { RouteHealth } from './route-health';

/**
 * Route health metrics. The gauges are read at scrape time from the shared window, so every replica
 * exports the same figures (compare them across replicas to see the sharing work); the counter is what
 * this replica itself observed. Labels are bounded by the catalog's route ids and the provider error kinds.
 */
export function registerRouteHealthMetrics(health: RouteHealth, registry: Registry) {
  const outcomes = new Counter({
    name: 'pipevideo_route_outcomes_total',
    help: 'Route outcomes this replica observed (submit failures, provider final answers, timeouts), by route, outcome and failure kind',
    labelNames: ['route', 'outcome', 'kind'],
    registers: [registry],
  });
  new Gauge({
    name: 'pipevideo_route_health_samples',
    help: 'Outcomes of the route in the shared sliding window (all replicas)',
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset();
      for (const route of health.routes()) this.set({ route }, health.summary(route).samples);
    },
  });
  new Gauge({
    name: 'pipevideo_route_health_success_ratio',
    help: 'Success rate of the route over the shared sliding window (all replicas); absent without outcomes',
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset();
      for (const route of health.routes()) {
        const rate = health.summary(route).successRate;
        if (rate !== null) this.set({ route }, rate);
      }
    },
  });
  new Gauge({
    name: 'pipevideo_route_health_completion_seconds',
    help: 'Time from submit to completion of the route’s successful jobs over the shared window, by percentile (p50, p90)',
    labelNames: ['route', 'percentile'],
    registers: [registry],
    collect() {
      this.reset();
      for (const route of health.routes()) {
        const s = health.summary(route);
        // Not `quantile`: that label is reserved for summaries (promtool refuses it on a gauge).
        if (s.p50Ms !== null) this.set({ route, percentile: 'p50' }, s.p50Ms / 1000);
        if (s.p90Ms !== null) this.set({ route, percentile: 'p90' }, s.p90Ms / 1000);
      }
    },
  });
  return {
    outcome(route: string, ok: boolean, kind?: string) {
      outcomes.inc({ route, outcome: ok ? 'succeeded' : 'failed', kind: ok ? 'none' : kind ?? 'unknown' });
    },
  };
}
