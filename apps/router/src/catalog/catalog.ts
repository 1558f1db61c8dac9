/**
 * The catalog of video models, their provider routes and prices, and the Responses-API engines.
 *
 * The catalog is *data* (`catalog.json`, `engines.json`, snake_case like the public API); this file
 * turns it into camelCase TypeScript objects, validating everything at load time so that a broken
 * catalog stops the service at start with a list of every problem instead of failing one request later.
 *
 * Adding a model or a route = editing `catalog.json` only. Rules enforced by the validator:
 * - model slugs and route ids are unique across the catalog, and a model has at most one route per
 *   provider (`provider.order` names providers, so two routes on one provider would be ambiguous);
 * - route providers are the video providers `fal`, `replicate`, `vercel-gateway` (`framerate` is an
 *   engine provider, see engines.json); `vercel-gateway` routes are internal: `user_selectable: false`;
 * - every route has at least one pricing entry, one per resolution, each resolution offered by the model;
 *   every resolution the model advertises is priced by at least one route;
 * - per-route `capabilities`, `max_duration` and `aspect_ratios` can only *restrict* the model's;
 * - durations: every model lists the exact `durations` its providers make (no continuous range: a
 *   provider would round a value it cannot make and the bill would differ from the video); it
 *   contains `default_duration`, and `min_duration`/`max_duration` are its smallest and largest;
 * - `audio_multiplier` is required (>= 1) on routes of models with audio, and defaults to 1 otherwise;
 * - `options` (model-specific parameters) each declare a type and a price effect (model-options.ts).
 */
import { readFileSync } from 'fs';
import type { Engine, ProviderSlug } from '@pipevideo/contracts';
import { USER_SELECTABLE_VIDEO_PROVIDERS } from '@pipevideo/contracts';
import shippedCatalog from './catalog.json';
import shippedEngines from './engines.json';
import { type ModelOption, parseModelOptions } from './model-options';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Providers that can serve a route of the video generations API. */
export type VideoProviderSlug = Extract<ProviderSlug, 'fal' | 'replicate' | 'vercel-gateway'>;
export const VIDEO_PROVIDERS: readonly VideoProviderSlug[] = ['fal', 'replicate', 'vercel-gateway'];
/** Providers the platform uses on its own; a customer can never name them in `provider.order`. */
export const INTERNAL_VIDEO_PROVIDERS: readonly VideoProviderSlug[] = VIDEO_PROVIDERS.filter(
  (p) => !(USER_SELECTABLE_VIDEO_PROVIDERS as readonly string[]).includes(p),
);

export interface VideoCapabilities {
  textToVideo: boolean;
  imageToVideo: boolean;
  audio: boolean;
}

export interface ResolutionPrice {
  resolution: string;
  perRequestCents: number;
  perSecondCents: number;
}

export interface CatalogRoute {
  /** e.g. `google/veo-3.1@fal`. Breakers, metrics and generations refer to routes by this id. */
  id: string;
  modelSlug: string;
  provider: VideoProviderSlug;
  /** The provider's model id for text-to-video (and for image-to-video unless overridden). */
  providerModelId: string;
  /** The provider's model id for image-to-video when it is a different endpoint (fal, Replicate wan). */
  imageToVideoModelId?: string;
  /** May the customer name this route's provider in `provider.order`? Always false for vercel-gateway. */
  userSelectable: boolean;
  /** Internal route (vercel-gateway): used by the platform automatically. */
  internal: boolean;
  /** Multiplies the per-second price when `withAudio` is true. 1 for models without audio. */
  audioMultiplier: number;
  /** One entry per resolution the route offers, in catalog order. */
  pricing: readonly ResolutionPrice[];
  /** Resolutions this route offers (= the pricing entries'). */
  resolutions: readonly string[];
  /**
   * Resolution used when the request names none, or names one this route lacks: the model's default
   * resolution when this route offers it, else the route's cheapest entry.
   */
  defaultResolution: string;
  /** Effective capabilities: the model's, narrowed by the route's restrictions. */
  capabilities: VideoCapabilities;
  /** Effective limits: the model's, narrowed by the route's restrictions. */
  maxDuration: number;
  /** The exact durations (seconds) this route makes: the model's, capped at the route's max. */
  durations: readonly number[];
  aspectRatios: readonly string[];
  /** Names of the model options this route takes (see model-options.ts). */
  options: readonly string[];
}

export interface VideoModel {
  slug: string;
  name: string;
  description: string;
  defaultDuration: number;
  minDuration: number;
  maxDuration: number;
  /** The exact durations (seconds) the model is made at; min/max are its ends. */
  durations: readonly number[];
  aspectRatios: readonly string[];
  resolutions: readonly string[];
  defaultResolution: string;
  capabilities: VideoCapabilities;
  /** Model-specific options a request may send in `options`, each with its price effect. */
  options: readonly ModelOption[];
  routes: readonly CatalogRoute[];
}

/** Per-million-token rates of an orchestration model (Responses API), in USD and in cents. */
export interface TokenRates {
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  inputPerMillionCents: number;
  outputPerMillionCents: number;
}

export interface OrchestrationModel {
  id: string;
  name: string;
  pricing: TokenRates;
}

export type ConcreteEngine = Exclude<Engine, 'auto'>;

export interface AutoEngineRule {
  engine: ConcreteEngine;
  /** Case-insensitive whole words / phrases searched in the prompt text. */
  keywords: readonly string[];
}

export interface EngineDef {
  slug: Engine;
  name: string;
  description: string;
  /** Provider used when the request has no `provider.order`. */
  defaultProvider: ProviderSlug;
  providers: readonly ProviderSlug[];
  /** Orchestration model ids this engine accepts. */
  models: readonly string[];
  outputMediaType: string;
  artifactMediaType: string | null;
  /** Only for `auto`: how the concrete engine is chosen. */
  auto?: { rules: readonly AutoEngineRule[]; fallback: ConcreteEngine };
}

export class CatalogValidationError extends Error {
  constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(`Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n - ${problems.join('\n - ')}`);
    this.name = 'CatalogValidationError';
  }
}

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

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(path: string, msg: string) {
    this.list.push(`${path}: ${msg}`);
  }
}

const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);

function str(p: Problems, o: Obj, key: string, path: string, opts: { optional?: boolean; allowEmpty?: boolean } = {}): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (!opts.optional) p.add(path, `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string' || (!opts.allowEmpty && v.trim() === '')) {
    p.add(path, `${key} must be a non-empty string`);
    return undefined;
  }
  return v;
}

function num(p: Problems, o: Obj, key: string, path: string, opts: { optional?: boolean; min?: number; positive?: boolean } = {}): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (!opts.optional) p.add(path, `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    p.add(path, `${key} must be a finite number`);
    return undefined;
  }
  if (opts.positive && v <= 0) {
    p.add(path, `${key} must be > 0 (got ${v})`);
    return undefined;
  }
  if (opts.min !== undefined && v < opts.min) {
    p.add(path, `${key} must be >= ${opts.min} (got ${v})`);
    return undefined;
  }
  return v;
}

function bool(p: Problems, o: Obj, key: string, path: string, optional = false): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (!optional) p.add(path, `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'boolean') {
    p.add(path, `${key} must be a boolean`);
    return undefined;
  }
  return v;
}

function strList(p: Problems, o: Obj, key: string, path: string, opts: { optional?: boolean; pattern?: RegExp; what?: string } = {}): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (!opts.optional) p.add(path, `${key} is required`);
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0) {
    p.add(path, `${key} must be a non-empty array`);
    return undefined;
  }
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string' || item.trim() === '') {
      p.add(path, `${key} must contain only non-empty strings`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(item)) {
      p.add(path, `${key}: "${item}" is not a valid ${opts.what ?? 'value'}`);
      return undefined;
    }
    if (out.includes(item)) {
      p.add(path, `${key}: duplicate "${item}"`);
      return undefined;
    }
    out.push(item);
  }
  return out;
}

const SLUG_RE = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;
const ASPECT_RE = /^\d+:\d+$/;
const RESOLUTION_RE = /^\d+p$|^\dk$/;

// ---------------------------------------------------------------------------------------------
// Video catalog
// ---------------------------------------------------------------------------------------------

/** Validates `catalog.json` content and returns the models (camelCase, effective route limits computed). */
export function parseVideoCatalog(raw: unknown): VideoModel[] {
  const p = new Problems();
  if (!isObj(raw)) throw new CatalogValidationError('video catalog', ['root: must be an object with a "models" array']);
  if (!Array.isArray(raw.models) || raw.models.length === 0) {
    throw new CatalogValidationError('video catalog', ['root: "models" must be a non-empty array']);
  }
  const models: VideoModel[] = [];
  const slugs = new Set<string>();
  const routeIds = new Set<string>();

  raw.models.forEach((rm, i) => {
    const path = `models[${i}]`;
    if (!isObj(rm)) return p.add(path, 'must be an object');
    const slug = str(p, rm, 'slug', path);
    const mpath = slug ? `${path} (${slug})` : path;
    if (slug !== undefined) {
      if (!SLUG_RE.test(slug)) p.add(mpath, `slug must look like "vendor/model" (lowercase), got "${slug}"`);
      if (slugs.has(slug)) p.add(mpath, `duplicate model slug "${slug}"`);
      slugs.add(slug);
    }
    const name = str(p, rm, 'name', mpath);
    const description = str(p, rm, 'description', mpath, { allowEmpty: true });
    const defaultDuration = num(p, rm, 'default_duration', mpath, { positive: true });
    const maxDuration = num(p, rm, 'max_duration', mpath, { positive: true });
    const minDuration = num(p, rm, 'min_duration', mpath, { positive: true });
    // The exact durations the model's providers make: what is priced is what is sent upstream, so
    // there is no "any value in a range" (a provider would round it and the bill would not match).
    let durations: number[] | undefined;
    const d = rm.durations;
    if (!Array.isArray(d) || d.length === 0 || d.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x <= 0)) {
      p.add(mpath, 'durations must be a non-empty array of positive numbers (the exact durations the providers make)');
    } else if (new Set(d).size !== d.length) {
      p.add(mpath, 'durations must not repeat a value');
    } else {
      durations = [...(d as number[])].sort((a, b) => a - b);
    }
    if (defaultDuration !== undefined && durations && !durations.includes(defaultDuration)) {
      p.add(mpath, `default_duration ${defaultDuration} is not in durations [${durations.join(', ')}]`);
    }
    if (durations && maxDuration !== undefined && durations[durations.length - 1] !== maxDuration) {
      p.add(mpath, `max_duration ${maxDuration} must equal the largest of durations [${durations.join(', ')}]`);
    }
    if (durations && minDuration !== undefined && durations[0] !== minDuration) {
      p.add(mpath, `min_duration ${minDuration} must equal the smallest of durations [${durations.join(', ')}]`);
    }
    const aspectRatios = strList(p, rm, 'aspect_ratios', mpath, { pattern: ASPECT_RE, what: 'aspect ratio (W:H)' });
    const resolutions = strList(p, rm, 'resolutions', mpath, { pattern: RESOLUTION_RE, what: 'resolution (e.g. 720p)' });
    let defaultResolution = str(p, rm, 'default_resolution', mpath, { optional: true }) ?? resolutions?.[0];
    if (resolutions && defaultResolution && !resolutions.includes(defaultResolution)) {
      p.add(mpath, `default_resolution "${defaultResolution}" is not in resolutions`);
      defaultResolution = undefined;
    }
    let capabilities: VideoCapabilities | undefined;
    if (!isObj(rm.capabilities)) p.add(mpath, 'capabilities must be an object {text_to_video, image_to_video, audio}');
    else {
      const t2v = bool(p, rm.capabilities, 'text_to_video', `${mpath}.capabilities`);
      const i2v = bool(p, rm.capabilities, 'image_to_video', `${mpath}.capabilities`);
      const audio = bool(p, rm.capabilities, 'audio', `${mpath}.capabilities`);
      if (t2v !== undefined && i2v !== undefined && audio !== undefined) {
        if (!t2v && !i2v) p.add(mpath, 'capabilities: a model needs text_to_video or image_to_video');
        capabilities = { textToVideo: t2v, imageToVideo: i2v, audio };
      }
    }

    if (!Array.isArray(rm.routes) || rm.routes.length === 0) {
      p.add(mpath, 'routes must be a non-empty array');
      return;
    }
    const modelOk = slug && name !== undefined && description !== undefined && defaultDuration !== undefined && maxDuration !== undefined
      && minDuration !== undefined && durations && aspectRatios && resolutions && defaultResolution && capabilities;
    const routes: CatalogRoute[] = [];
    const providersSeen = new Set<string>();
    rm.routes.forEach((rr, j) => {
      const rpath = `${mpath}.routes[${j}]`;
      if (!isObj(rr)) return p.add(rpath, 'must be an object');
      const id = str(p, rr, 'id', rpath);
      const path2 = id ? `${mpath}.routes[${j}] (${id})` : rpath;
      if (id !== undefined) {
        if (routeIds.has(id)) p.add(path2, `duplicate route id "${id}"`);
        routeIds.add(id);
      }
      const provider = str(p, rr, 'provider', path2);
      if (provider !== undefined) {
        if (!(VIDEO_PROVIDERS as readonly string[]).includes(provider)) {
          p.add(path2, `unknown provider "${provider}" (video providers: ${VIDEO_PROVIDERS.join(', ')})`);
        } else if (providersSeen.has(provider)) {
          p.add(path2, `second route on provider "${provider}" for the same model`);
        }
        providersSeen.add(provider);
      }
      const providerModelId = str(p, rr, 'provider_model_id', path2);
      const i2vModelId = str(p, rr, 'image_to_video_model_id', path2, { optional: true });
      const userSelectable = bool(p, rr, 'user_selectable', path2);
      const internal = provider !== undefined && (INTERNAL_VIDEO_PROVIDERS as readonly string[]).includes(provider);
      if (userSelectable && internal) {
        p.add(path2, `provider "${provider}" is internal: user_selectable must be false`);
      }
      let audioMultiplier = num(p, rr, 'audio_multiplier', path2, { optional: true, min: 1 });
      if (audioMultiplier === undefined && rr.audio_multiplier === undefined) {
        if (capabilities?.audio) p.add(path2, 'audio_multiplier is required on routes of a model with audio');
        audioMultiplier = 1;
      }

      // Route restrictions (may only narrow the model).
      const restrict = rr.capabilities;
      let routeCaps = capabilities;
      if (restrict !== undefined) {
        if (!isObj(restrict)) p.add(path2, 'capabilities must be an object');
        else if (capabilities) {
          const rc = { ...capabilities };
          for (const [k, field] of [['text_to_video', 'textToVideo'], ['image_to_video', 'imageToVideo'], ['audio', 'audio']] as const) {
            const v = bool(p, restrict, k, `${path2}.capabilities`, true);
            if (v === undefined) continue;
            if (v && !capabilities[field]) p.add(path2, `capabilities.${k} cannot be enabled on a route when the model lacks it`);
            rc[field] = v && capabilities[field];
          }
          if (!rc.textToVideo && !rc.imageToVideo) p.add(path2, 'capabilities: a route needs text_to_video or image_to_video');
          routeCaps = rc;
        }
      }
      let routeMax = maxDuration;
      const rMax = num(p, rr, 'max_duration', path2, { optional: true, positive: true });
      if (rMax !== undefined && maxDuration !== undefined && minDuration !== undefined) {
        if (rMax > maxDuration) p.add(path2, `max_duration ${rMax} exceeds the model's ${maxDuration}`);
        else if (rMax < minDuration) p.add(path2, `max_duration ${rMax} is below the model's min_duration ${minDuration}`);
        else routeMax = rMax;
      }
      let routeAspects = aspectRatios;
      if (rr.aspect_ratios !== undefined) {
        const ra = strList(p, rr, 'aspect_ratios', path2, { pattern: ASPECT_RE, what: 'aspect ratio (W:H)' });
        if (ra && aspectRatios) {
          const extra = ra.filter((a) => !aspectRatios.includes(a));
          if (extra.length) p.add(path2, `aspect_ratios ${extra.join(', ')} not offered by the model`);
          else routeAspects = ra;
        }
      }

      // Pricing.
      const pricing: ResolutionPrice[] = [];
      if (!Array.isArray(rr.pricing) || rr.pricing.length === 0) {
        p.add(path2, 'pricing must be a non-empty array of {resolution, per_request_cents, per_second_cents}');
      } else {
        rr.pricing.forEach((rp, k) => {
          const ppath = `${path2}.pricing[${k}]`;
          if (!isObj(rp)) return p.add(ppath, 'must be an object');
          const resolution = str(p, rp, 'resolution', ppath);
          const perRequestCents = num(p, rp, 'per_request_cents', ppath, { min: 0 });
          const perSecondCents = num(p, rp, 'per_second_cents', ppath, { min: 0 });
          if (resolution !== undefined) {
            if (resolutions && !resolutions.includes(resolution)) p.add(ppath, `resolution "${resolution}" is not offered by the model (${resolutions.join(', ')})`);
            if (pricing.some((x) => x.resolution === resolution)) p.add(ppath, `duplicate pricing for resolution "${resolution}"`);
          }
          if (resolution !== undefined && perRequestCents !== undefined && perSecondCents !== undefined) {
            pricing.push({ resolution, perRequestCents, perSecondCents });
          }
        });
      }

      if (!modelOk || !id || !provider || !providerModelId || userSelectable === undefined || audioMultiplier === undefined
        || !routeCaps || routeMax === undefined || !routeAspects || pricing.length === 0) return;
      const routeResolutions = pricing.map((x) => x.resolution);
      const cheapest = [...pricing].sort((a, b) => a.perSecondCents - b.perSecondCents || a.perRequestCents - b.perRequestCents)[0];
      routes.push({
        id,
        modelSlug: slug!,
        provider: provider as VideoProviderSlug,
        providerModelId,
        ...(i2vModelId ? { imageToVideoModelId: i2vModelId } : {}),
        userSelectable,
        internal,
        audioMultiplier,
        pricing,
        resolutions: routeResolutions,
        defaultResolution: routeResolutions.includes(defaultResolution!) ? defaultResolution! : cheapest.resolution,
        capabilities: routeCaps,
        maxDuration: routeMax,
        durations: durations!.filter((x) => x <= routeMax!),
        aspectRatios: routeAspects,
        options: [],
      });
    });

    const routeProviders = (rm.routes as unknown[]).map((rr) => (isObj(rr) ? rr.provider : undefined)).filter((x): x is string => typeof x === 'string');
    const options = parseModelOptions(rm.options, mpath, routeProviders, (at, msg) => p.add(at, msg));
    if (!modelOk) return;
    for (const res of resolutions!) {
      if (!routes.some((r) => r.resolutions.includes(res))) p.add(mpath, `resolution "${res}" is not priced by any route`);
    }
    if (capabilities!.imageToVideo && routes.length && !routes.some((r) => r.capabilities.imageToVideo)) {
      p.add(mpath, 'image_to_video is advertised but no route supports it');
    }
    if (capabilities!.audio && routes.length && !routes.some((r) => r.capabilities.audio)) {
      p.add(mpath, 'audio is advertised but no route supports it');
    }
    models.push({
      slug: slug!,
      name: name!,
      description: description!,
      defaultDuration: defaultDuration!,
      minDuration: minDuration!,
      maxDuration: maxDuration!,
      durations: durations!,
      aspectRatios: aspectRatios!,
      resolutions: resolutions!,
      defaultResolution: defaultResolution!,
      capabilities: capabilities!,
      options,
      routes: routes.map((r) => ({ ...r, options: options.filter((o) => !o.providers || o.providers.includes(r.provider)).map((o) => o.name) })),
    });
  });

  if (p.list.length) throw new CatalogValidationError('video catalog', p.list);
  return models;
}

// ---------------------------------------------------------------------------------------------
// Engines (Responses API)
// ---------------------------------------------------------------------------------------------

const ENGINE_SLUGS: readonly Engine[] = ['hyperframes', 'lottie', 'auto'];
const ENGINE_PROVIDERS: readonly ProviderSlug[] = ['framerate'];

/** Validates `engines.json` content. */
export function parseEngineCatalog(raw: unknown): {
  engines: EngineDef[];
  orchestrationModels: OrchestrationModel[];
  defaultEngine: ConcreteEngine;
} {
  const p = new Problems();
  if (!isObj(raw)) throw new CatalogValidationError('engine catalog', ['root: must be an object']);

  const orchestrationModels: OrchestrationModel[] = [];
  if (!Array.isArray(raw.orchestration_models) || raw.orchestration_models.length === 0) {
    p.add('root', 'orchestration_models must be a non-empty array');
  } else {
    raw.orchestration_models.forEach((ro, i) => {
      const path = `orchestration_models[${i}]`;
      if (!isObj(ro)) return p.add(path, 'must be an object');
      const id = str(p, ro, 'id', path);
      const opath = id ? `${path} (${id})` : path;
      if (id && !SLUG_RE.test(id)) p.add(opath, `id must look like "vendor/model", got "${id}"`);
      if (id && orchestrationModels.some((o) => o.id === id)) p.add(opath, `duplicate orchestration model "${id}"`);
      const name = str(p, ro, 'name', opath);
      if (!isObj(ro.pricing)) return p.add(opath, 'pricing must be an object');
      const pr = ro.pricing;
      const inUsd = num(p, pr, 'input_per_million_usd', `${opath}.pricing`, { min: 0 });
      const outUsd = num(p, pr, 'output_per_million_usd', `${opath}.pricing`, { min: 0 });
      const inCents = num(p, pr, 'input_per_million_cents', `${opath}.pricing`, { min: 0 });
      const outCents = num(p, pr, 'output_per_million_cents', `${opath}.pricing`, { min: 0 });
      if (inUsd !== undefined && inCents !== undefined && Math.abs(inUsd * 100 - inCents) > 1e-6) {
        p.add(opath, `input_per_million_cents ${inCents} does not match input_per_million_usd ${inUsd}`);
      }
      if (outUsd !== undefined && outCents !== undefined && Math.abs(outUsd * 100 - outCents) > 1e-6) {
        p.add(opath, `output_per_million_cents ${outCents} does not match output_per_million_usd ${outUsd}`);
      }
      if (id && name && inUsd !== undefined && outUsd !== undefined && inCents !== undefined && outCents !== undefined) {
        orchestrationModels.push({
          id, name,
          pricing: { inputPerMillionUsd: inUsd, outputPerMillionUsd: outUsd, inputPerMillionCents: inCents, outputPerMillionCents: outCents },
        });
      }
    });
  }

  const engines: EngineDef[] = [];
  if (!Array.isArray(raw.engines) || raw.engines.length === 0) {
    p.add('root', 'engines must be a non-empty array');
  } else {
    const autos: { path: string; def: Obj; idx: number }[] = [];
    raw.engines.forEach((re, i) => {
      const path = `engines[${i}]`;
      if (!isObj(re)) return p.add(path, 'must be an object');
      const slug = str(p, re, 'slug', path);
      const epath = slug ? `${path} (${slug})` : path;
      if (slug && !(ENGINE_SLUGS as string[]).includes(slug)) return p.add(epath, `unknown engine "${slug}" (engines: ${ENGINE_SLUGS.join(', ')})`);
      if (slug && engines.some((e) => e.slug === slug)) return p.add(epath, `duplicate engine "${slug}"`);
      const name = str(p, re, 'name', epath);
      const description = str(p, re, 'description', epath, { allowEmpty: true });
      if (!slug || !name || description === undefined) return;
      if (re.auto !== undefined) {
        autos.push({ path: epath, def: re, idx: engines.length });
        engines.push({ slug: slug as Engine, name, description, defaultProvider: 'framerate', providers: [], models: [], outputMediaType: 'video/mp4', artifactMediaType: null });
        return;
      }
      if (slug === 'auto') return p.add(epath, 'the auto engine needs an "auto" section {rules, fallback}');
      const defaultProvider = str(p, re, 'default_provider', epath);
      const providers = strList(p, re, 'providers', epath);
      if (providers) {
        for (const pv of providers) if (!(ENGINE_PROVIDERS as string[]).includes(pv)) p.add(epath, `unknown engine provider "${pv}" (engine providers: ${ENGINE_PROVIDERS.join(', ')})`);
      }
      if (defaultProvider && providers && !providers.includes(defaultProvider)) p.add(epath, `default_provider "${defaultProvider}" is not in providers`);
      const models = strList(p, re, 'models', epath);
      if (models) for (const m of models) if (!orchestrationModels.some((o) => o.id === m)) p.add(epath, `model "${m}" has no entry in orchestration_models (rates unknown)`);
      const outputMediaType = str(p, re, 'output_media_type', epath, { optional: true }) ?? 'video/mp4';
      const artifactMediaType = str(p, re, 'artifact_media_type', epath, { optional: true }) ?? null;
      if (defaultProvider && providers && models) {
        engines.push({
          slug: slug as Engine, name, description, defaultProvider: defaultProvider as ProviderSlug,
          providers: providers as ProviderSlug[], models, outputMediaType, artifactMediaType,
        });
      }
    });
    // `auto` engines: validate their rules against the concrete engines, inherit the fallback's providers/models.
    for (const { path, def, idx } of autos) {
      const a = def.auto;
      if (!isObj(a) || !Array.isArray(a.rules)) { p.add(path, 'auto must be {rules: [{engine, keywords}], fallback}'); continue; }
      const concrete = (e: unknown) => typeof e === 'string' && e !== 'auto' && engines.some((x) => x.slug === e && !x.auto && x.providers.length > 0);
      const fallback = a.fallback;
      if (!concrete(fallback)) { p.add(path, `auto.fallback "${String(fallback)}" is not a concrete engine of this catalog`); continue; }
      const rules: AutoEngineRule[] = [];
      a.rules.forEach((r, k) => {
        if (!isObj(r) || !concrete(r.engine)) return p.add(`${path}.auto.rules[${k}]`, `engine "${isObj(r) ? String(r.engine) : '?'}" is not a concrete engine of this catalog`);
        const keywords = strList(p, r, 'keywords', `${path}.auto.rules[${k}]`);
        if (keywords) rules.push({ engine: r.engine as ConcreteEngine, keywords: keywords.map((x) => x.toLowerCase()) });
      });
      const fb = engines.find((x) => x.slug === fallback)!;
      engines[idx] = {
        ...engines[idx], defaultProvider: fb.defaultProvider, providers: fb.providers, models: fb.models,
        outputMediaType: fb.outputMediaType, artifactMediaType: null,
        auto: { rules, fallback: fallback as ConcreteEngine },
      };
    }
  }

  let defaultEngine: ConcreteEngine = 'hyperframes';
  if (raw.default_engine !== undefined) {
    const d = raw.default_engine;
    if (typeof d !== 'string' || d === 'auto' || !engines.some((e) => e.slug === d && !e.auto)) p.add('root', `default_engine "${String(d)}" is not a concrete engine of this catalog`);
    else defaultEngine = d as ConcreteEngine;
  } else if (!engines.some((e) => e.slug === 'hyperframes')) {
    p.add('root', 'default_engine is required when there is no hyperframes engine');
  }

  if (p.list.length) throw new CatalogValidationError('engine catalog', p.list);
  return { engines, orchestrationModels, defaultEngine };
}
