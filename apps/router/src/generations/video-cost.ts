import type { GenerationRow } from './generation.types';

/**
 * What a finished video generation costs: the price of the route that ran, as estimated when the
 * generation was created from the catalog (duration, resolution, audio and options of exactly what was
 * sent to the provider; see routing/pricing.ts). Not the provider's reported duration: the customer
 * pays what was quoted and held, never more, and the route made exactly what was priced.
 */
export function finishedVideoCostCents(g: GenerationRow): number {
  return g.candidates.find((c) => c.routeId === g.route_id)?.estimatedCostCents ?? g.estimated_cost_cents ?? 0;
}
