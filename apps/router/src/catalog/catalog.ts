/**
 * The catalog of video models, their provider routes and prices, and the Responses-API engines.
 *
 * The catalog is *data*: `catalog.json` and `engines.json` (snake_case like the public API), each
 * described by a JSON Schema (`catalog.schema.json`, `engines.schema.json`, generated from the zod
 * schemas in `catalog-schema.ts`) that editors use while writing it. Loading checks the shape with
 * the schema and the rules between fields in code (`video-catalog.ts`, `engine-catalog.ts`), and
 * builds camelCase objects; a broken catalog stops the service at start with every problem listed,
 * each naming its model, route and field, instead of failing one request later.
 *
 * Adding a model or a route = editing `catalog.json` only.
 */
import { readFileSync } from 'fs';
import type { Engine } from '@pipevideo/contracts';
import shippedCatalog from './catalog.json';
import shippedEngines from './engines.json';
import { CatalogRoute, CatalogValidationError, ConcreteEngine, EngineDef, OrchestrationModel, VideoModel } from './catalog-types';
import { parseEngineCatalog } from './engine-catalog';
import { parseVideoCatalog } from './video-catalog';

export * from './catalog-types';
export { parseVideoCatalog } from './video-catalog';
export { parseEngineCatalog } from './engine-catalog';

// ---------------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------------

export class Catalog {
  private readonly modelsBySlug = new Map<string, VideoModel>();
  private readonly routesById = new Map<string, CatalogRoute>();
  private readonly enginesBySlug = new Map<Engine, EngineDef>();
  private readonly orchestrationById = new Map<string, OrchestrationModel>();

  constructor(
    private readonly models: readonly VideoModel[],
    private readonly engines: readonly EngineDef[] = [],
    private readonly orchestrationModels: readonly OrchestrationModel[] = [],
    public readonly defaultEngine: ConcreteEngine = 'hyperframes',
  ) {
    for (const m of models) {
      this.modelsBySlug.set(m.slug, m);
      for (const r of m.routes) this.routesById.set(r.id, r);
    }
    for (const e of engines) this.enginesBySlug.set(e.slug, e);
    for (const o of orchestrationModels) this.orchestrationById.set(o.id, o);
  }

  getModel(slug: string): VideoModel | undefined {
    return this.modelsBySlug.get(slug);
  }

  /** Models in catalog order. */
  listModels(): readonly VideoModel[] {
    return this.models;
  }

  getRoute(routeId: string): CatalogRoute | undefined {
    return this.routesById.get(routeId);
  }

  listRoutes(): CatalogRoute[] {
    return [...this.routesById.values()];
  }

  getEngine(slug: string): EngineDef | undefined {
    return this.enginesBySlug.get(slug as Engine);
  }

  listEngines(): readonly EngineDef[] {
    return this.engines;
  }

  getOrchestrationModel(id: string): OrchestrationModel | undefined {
    return this.orchestrationById.get(id);
  }

  listOrchestrationModels(): readonly OrchestrationModel[] {
    return this.orchestrationModels;
  }

  /**
   * The concrete engine for a Responses request. No engine → the default (`hyperframes`).
   * `auto` → the first auto rule whose keyword appears in the prompt as a whole word or phrase
   * (case-insensitive; shipped rule: "lottie", "bodymovin", "after effects", "json animation" →
   * `lottie`), else the fallback (`hyperframes`). If the picked engine does not support `modelId`
   * (when given), the fallback is used instead. Unknown engines return undefined.
   */
  resolveEngine(requested: string | undefined | null, promptText: string, modelId?: string): ConcreteEngine | undefined {
    if (requested === undefined || requested === null || requested === '') return this.defaultEngine;
    const def = this.getEngine(requested);
    if (!def) return undefined;
    if (!def.auto) return def.slug as ConcreteEngine;
    for (const rule of def.auto.rules) {
      if (!rule.keywords.some((k) => containsPhrase(promptText, k))) continue;
      const target = this.getEngine(rule.engine);
      if (target && (modelId === undefined || target.models.includes(modelId))) return rule.engine;
    }
    return def.auto.fallback;
  }
}

function containsPhrase(text: string, phrase: string): boolean {
  const escaped = phrase.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu').test(text);
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/**
 * Validates raw catalog data (the parsed JSON files) and builds the Catalog.
 * Defaults to the files shipped next to this module. Throws CatalogValidationError listing every problem.
 */
export function loadCatalog(rawModels: unknown = shippedCatalog, rawEngines: unknown = shippedEngines): Catalog {
  const models = parseVideoCatalog(rawModels);
  const { engines, orchestrationModels, defaultEngine } = parseEngineCatalog(rawEngines);
  return new Catalog(models, engines, orchestrationModels, defaultEngine);
}

/** Reads and validates catalog files from disk (e.g. an operator-provided catalog). */
export function loadCatalogFromFiles(modelsPath: string, enginesPath?: string): Catalog {
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new CatalogValidationError(p, [`cannot read JSON: ${(e as Error).message}`]);
    }
  };
  return loadCatalog(read(modelsPath), enginesPath ? read(enginesPath) : shippedEngines);
}

let shipped: Catalog | undefined;
/** The shipped catalog, loaded and validated once per process. */
export function defaultCatalog(): Catalog {
  return (shipped ??= loadCatalog());
}
