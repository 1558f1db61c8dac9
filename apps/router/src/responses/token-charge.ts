import type { Catalog } from '../catalog/catalog';
import type { GenerationRow } from '../generations/generation.types';
import { tokenCost } from '../routing/pricing';

/**
 * What a Responses job's orchestration tokens cost, at the per-million-token rates of the model it
 * asked for (the full cost, whatever the hold was: billing captures the hold and takes the rest from
 * the balance). A model the catalog no longer has costs nothing.
 */
export function responseTokenCost(catalog: Catalog, g: GenerationRow, inputTokens: number, outputTokens: number): { costCents: number; costUsd: number } {
  const model = catalog.getOrchestrationModel(g.requested_model);
  return model ? tokenCost(model.pricing, inputTokens, outputTokens) : { costCents: 0, costUsd: 0 };
}
