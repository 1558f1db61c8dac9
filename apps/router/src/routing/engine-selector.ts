/**
 * Engine / provider / orchestration-model resolution for the Responses API (`POST /v1/responses`).
 *
 * - `engine` absent → the catalog's default engine (`hyperframes`); `auto` → see Catalog.resolveEngine
 *   (lottie when the prompt asks for Lottie / After Effects / bodymovin, hyperframes otherwise).
 * - `model` must be an orchestration model id the chosen engine supports (its per-token rates bill
 *   the request), never an engine slug.
 * - provider: the first `provider.order` entry that serves the engine and is configured, else the
 *   engine's default provider (`framerate`). Naming a provider that does not serve the engine is a 400.
 *   `provider.only` / `provider.ignore` narrow the engine's providers (a 400 when none is left);
 *   `allow_fallbacks`, `require_parameters` and `sort` are checked like the video API's and change
 *   nothing yet: one provider serves each engine and honours every parameter.
 */
import { badRequest, type ProviderSlug } from '@pipevideo/contracts';
import type { Catalog, ConcreteEngine, EngineDef, OrchestrationModel } from '../catalog/catalog';

export interface EngineRequest {
  model: string;
  engine?: string | null;
  /** All prompt text (input + instructions), used by the `auto` engine. */
  promptText: string;
  providerOrder?: unknown;
  /** The rest of the `provider` object: only, ignore, allow_fallbacks, require_parameters, sort. */
  providerPrefs?: { only?: unknown; ignore?: unknown; allow_fallbacks?: unknown; require_parameters?: unknown; sort?: unknown };
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
  const prefs = req.providerPrefs ?? {};
  const only = prefs.only === undefined ? undefined : normalizeEngineOrder(prefs.only, def, 'provider.only');
  if (only && only.length === 0) throw badRequest('provider.only must name at least one provider (or be left out)', { param: 'provider.only' });
  const ignore = normalizeEngineOrder(prefs.ignore, def, 'provider.ignore');
  for (const [field, v] of [['provider.allow_fallbacks', prefs.allow_fallbacks], ['provider.require_parameters', prefs.require_parameters]] as const) {
    if (v !== undefined && typeof v !== 'boolean') throw badRequest(`${field} must be true or false`, { param: field });
  }
  if (prefs.sort !== undefined && !['price', 'latency', 'success'].includes(prefs.sort as string)) {
    throw badRequest('provider.sort must be one of price, latency, success', { param: 'provider.sort' });
  }
  const allowed = (p: ProviderSlug) => (!only || only.includes(p)) && !ignore.includes(p);
  const configured = (p: ProviderSlug) => (!ctx.configuredProviders || ctx.configuredProviders.has(p)) && allowed(p);
  if (!def.providers.some(allowed)) {
    throw badRequest(`provider.only / provider.ignore leave no provider for engine ${engine} (its providers: ${def.providers.join(', ')})`, { param: 'provider' });
  }
  const provider = [...order, def.defaultProvider, ...def.providers].find(configured);
  if (!provider) {
    throw badRequest(`Provider not initialized: no configured provider for engine ${engine} (providers: ${def.providers.join(', ')})`);
  }
  return { requestedEngine, engine, provider, model };
}

function normalizeEngineOrder(order: unknown, def: EngineDef, field = 'provider.order'): ProviderSlug[] {
  if (order === undefined || order === null) return [];
  const allowed = `Allowed provider slugs for engine ${def.slug}: ${def.providers.join(', ')}`;
  if (!Array.isArray(order)) throw badRequest(`${field} must be an array of provider slugs. ${allowed}`);
  const out: ProviderSlug[] = [];
  for (const raw of order) {
    const slug = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!(def.providers as string[]).includes(slug)) throw badRequest(`Unknown provider '${String(raw)}' in ${field}. ${allowed}`);
    if (!out.includes(slug as ProviderSlug)) out.push(slug as ProviderSlug);
  }
  return out;
}
