import { byokFeeCents, type ByokFeeConfig } from '../routing/byok-fee';
import type { GenerationRow } from './generation.types';

/**
 * What a finished video generation costs: the price of the route that ran, as estimated when the
 * generation was created from the catalog (duration, resolution, audio and options of exactly what was
 * sent to the provider; see routing/pricing.ts). Not the provider's reported duration: the customer
 * pays what was quoted and held, never more, and the route made exactly what was priced. On the org's
 * own provider key (BYOK) the provider bills the org; Pipevideo captures only its fee.
 */
export function finishedVideoCostCents(g: GenerationRow, byokFee: ByokFeeConfig): number {
  const listPrice = g.candidates.find((c) => c.routeId === g.route_id)?.estimatedCostCents ?? g.estimated_cost_cents ?? 0;
  return g.byok ? byokFeeCents(listPrice, byokFee) : listPrice;
}
