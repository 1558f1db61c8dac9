/**
 * Engine / provider / orchestration-model resolution for the Responses API (`POST /v1/responses`).
 *
 * - `engine` absent → the catalog's default engine (`hyperframes`); `auto` → see Catalog.resolveEngine
 *   (lottie when the prompt asks for Lottie / After Effects / bodymovin, hyperframes otherwise).
 * - `model` must be an orchestration model id the chosen engine supports (its per-token rates bill
 *   the request), never an engine slug.
 * - provider: the first `provider.order` entry that serves the engine and is configured, else the
 *   engine's default provider (`framerate`). Naming a provider that does not serve the engine is a 400.
 */
import { badRequest, type ProviderSlug } from '@pipevideo/contracts';
import type { Catalog, ConcreteEngine, EngineDef, OrchestrationModel } from '../catalog/catalog';

export interface EngineRequest {
  model: string;
  engine?: string | null;
  /** All prompt text (input + instructions), used by the `auto` engine. */
  promptText: string;
  providerOrder?: unknown;
}

export interface EngineSelection {
  /** The engine as requested (`auto` stays visible to the caller through `requestedEngine`). */
  requestedEngine: string;
  engine: ConcreteEngine;
  provider: ProviderSlug;
  model: OrchestrationModel;
}

export function selectEngine(
  catalog: Catalog,
  req: EngineRequest,
  ctx: { configuredProviders?: ReadonlySet<ProviderSlug> } = {},
): EngineSelection {
  const engineSlugs = catalog.listEngines().map((e) => e.slug).join(', ');
  const requestedEngine = req.engine ?? catalog.defaultEngine;
  if (requestedEngine !== undefined && !catalog.getEngine(requestedEngine)) {
    throw badRequest(`Unknown engine '${requestedEngine}'. Engines: ${engineSlugs}. See GET /v1/engines`);
  }
  if (typeof req.model !== 'string' || req.model.trim() === '') throw badRequest('model is required (an orchestration model id). See GET /v1/engines');
  if (catalog.getEngine(req.model)) {
    throw badRequest(`model must be an orchestration model id (e.g. moonshotai/kimi-k2.5), not an engine slug; pass engines as "engine". See GET /v1/engines`);
  }
  const model = catalog.getOrchestrationModel(req.model);
  if (!model) throw badRequest(`Model not found: ${req.model}. See GET /v1/engines`);

  const engine = catalog.resolveEngine(requestedEngine, req.promptText ?? '', model.id)!;
  const def = catalog.getEngine(engine) as EngineDef;
  if (!def.models.includes(model.id)) {
    throw badRequest(`Model ${model.id} is not supported by engine ${engine}. Supported: ${def.models.join(', ')}. See GET /v1/engines`);
  }

  const order = normalizeEngineOrder(req.providerOrder, def);
  const configured = (p: ProviderSlug) => !ctx.configuredProviders || ctx.configuredProviders.has(p);
  const provider = [...order, def.defaultProvider, ...def.providers].find(configured);
  if (!provider) {
    throw badRequest(`Provider not initialized: no configured provider for engine ${engine} (providers: ${def.providers.join(', ')})`);
  }
  return { requestedEngine, engine, provider, model };
}

function normalizeEngineOrder(order: unknown, def: EngineDef): ProviderSlug[] {
  if (order === undefined || order === null) return [];
  const allowed = `Allowed provider slugs for engine ${def.slug}: ${def.providers.join(', ')}`;
  if (!Array.isArray(order)) throw badRequest(`provider.order must be an array of provider slugs. ${allowed}`);
  const out: ProviderSlug[] = [];
  for (const raw of order) {
    const slug = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!(def.providers as string[]).includes(slug)) throw badRequest(`Unknown provider '${String(raw)}' in provider.order. ${allowed}`);
    if (!out.includes(slug as ProviderSlug)) out.push(slug as ProviderSlug);
  }
  return out;
}
