/**
 * What `GET /v1/models`, `GET /v1/models/{id}` and `GET /v1/engines` return (OpenRouter-like,
 * snake_case like the rest of the public API).
 *
 * Decision — internal routes: vercel-gateway routes are listed, but as provider `"pipevideo"` with
 * `user_selectable: false`. Pipevideo may serve (and bill) a request through them automatically, so
 * hiding them would hide a price the customer can be charged; naming the upstream would invite the
 * customer to put `vercel-gateway` in `provider.order`, which is refused.
 *
 * Decision — headline price: the top-level `pricing` is what a *default request* costs — default
 * duration, no audio, no resolution asked (each route then runs at its default resolution, which is
 * the model's default where the route offers it) — on the route such a request is sent to first (the
 * cheapest; internal routes included, they can serve it). `pricing_by_resolution` beside it gives the
 * same default-duration request at every resolution the model offers (cheapest route offering it).
 *
 * When `configuredProviders` is given, only routes of configured providers are listed, and
 * `listPublicModels` omits models left without any endpoint (they could not be served).
 *
 * Each endpoint carries `health`, measured over the router's recent window (shared by all replicas):
 * `uptime_percent` (successful outcomes / all outcomes: submit failures, provider failures and
 * timeouts count against it), `typical_completion_seconds` (median time from submit to completion of
 * its successful jobs), `completion_seconds_p90`, and `recent_failures` by kind; nulls while nothing
 * was measured.
 */
import { INTERNAL_PROVIDER_LABEL, type ProviderSlug } from '@pipevideo/contracts';
import type { RouteHealthSummary } from '../health/route-window';
import { estimateCostCents } from '../routing/pricing';
import { publicOption } from './model-options';
import { Catalog, CatalogRoute, EngineDef, VideoModel } from './catalog';

export interface PublicCapabilities {
  text_to_video: boolean;
  image_to_video: boolean;
  audio: boolean;
}

export interface PublicResolutionPrice {
  resolution: string;
  per_request_cents: number;
  per_second_cents: number;
}

export interface PublicEndpoint {
  /** `fal` | `replicate` | `pipevideo` (internal route). */
  provider: string;
  /** Can be named in `provider.order`. */
  user_selectable: boolean;
  resolutions: string[];
  pricing: PublicResolutionPrice[];
  audio_multiplier: number;
  capabilities: PublicCapabilities;
  max_duration: number;
  /** The exact durations (seconds) this endpoint makes. */
  durations: number[];
  aspect_ratios: string[];
  /** Names of the model options this endpoint takes. */
  options: string[];
  /** Recent uptime and typical completion time, measured (absent when the caller has no measurements). */
  health?: PublicEndpointHealth;
}

export interface PublicEndpointHealth {
  window_seconds: number;
  /** Outcomes measured in the window. */
  samples: number;
  /** Successful outcomes in %, one decimal; null without outcomes. */
  uptime_percent: number | null;
  /** Median seconds from submit to completion of successful jobs; null without any. */
  typical_completion_seconds: number | null;
  completion_seconds_p90: number | null;
  recent_failures: Array<{ kind: string; count: number }>;
}

export interface PublicModel {
  id: string;
  object: 'model';
  name: string;
  description: string;
  capabilities: PublicCapabilities;
  default_duration: number;
  min_duration: number;
  max_duration: number;
  /** The exact durations (seconds) a request may ask for; min_duration/max_duration are its ends. */
  durations: number[];
  aspect_ratios: string[];
  resolutions: string[];
  default_resolution: string;
  /** Model-specific options a request may send in `options`: type, limits, providers and price effect. */
  options: Record<string, ReturnType<typeof publicOption>>;
  /** What a default request (default duration, default resolution, no audio) costs; null when no endpoint is listed. */
  pricing: PublicModelPrice | null;
  /** A default-duration request without audio at each resolution the model offers (the cheapest listed route offering it). */
  pricing_by_resolution: PublicModelPrice[];
  /** Listed endpoints, cheapest first. */
  endpoints: PublicEndpoint[];
}

/** The price of one request shape: its rates, the route it runs on and its total. */
export interface PublicModelPrice {
  resolution: string;
  /** Seconds of video (the model's default duration). */
  duration: number;
  per_request_cents: number;
  per_second_cents: number;
  audio_multiplier: number;
  /** Public provider name of the route priced. */
  provider: string;
  /** per_request + per_second × duration, rounded up to whole cents: what such a request is charged. */
  request_cents: number;
}

export interface PublicViewOptions {
  /** Only list routes of these providers (the ones this deployment has credentials for). */
  configuredProviders?: ReadonlySet<ProviderSlug>;
  /** Measured route health, shown per endpoint. */
  health?: { windowMs: number; of(routeId: string): RouteHealthSummary };
}

const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

function endpointHealth(s: RouteHealthSummary, windowMs: number): PublicEndpointHealth {
  return {
    window_seconds: Math.round(windowMs / 1000),
    samples: s.samples,
    uptime_percent: s.successRate === null ? null : Math.round(s.successRate * 1000) / 10,
    typical_completion_seconds: seconds(s.p50Ms),
    completion_seconds_p90: seconds(s.p90Ms),
    recent_failures: s.recentFailures.map((f) => ({ ...f })),
  };
}

export function publicProviderName(route: Pick<CatalogRoute, 'provider' | 'internal'>): string {
  return route.internal ? INTERNAL_PROVIDER_LABEL : route.provider;
}

const caps = (c: VideoModel['capabilities']): PublicCapabilities => ({
  text_to_video: c.textToVideo, image_to_video: c.imageToVideo, audio: c.audio,
});

/** One route's price of a default-duration request without audio at `resolution`; undefined when the route does not offer it. */
function priceAt(route: CatalogRoute, resolution: string, duration: number): PublicModelPrice | undefined {
  const price = route.pricing.find((p) => p.resolution === resolution);
  if (!price) return undefined;
  return {
    resolution,
    duration,
    per_request_cents: price.perRequestCents,
    per_second_cents: price.perSecondCents,
    audio_multiplier: route.audioMultiplier,
    provider: publicProviderName(route),
    request_cents: estimateCostCents({ ...price, audioMultiplier: route.audioMultiplier }, duration, false),
  };
}

/** The cheapest of some prices (the first on a tie: catalog order). */
function cheapest(prices: Array<PublicModelPrice | undefined>): PublicModelPrice | undefined {
  return prices.reduce<PublicModelPrice | undefined>((best, p) => (p && (!best || p.request_cents < best.request_cents) ? p : best), undefined);
}

export function toPublicModel(model: VideoModel, opts: PublicViewOptions = {}): PublicModel {
  const listed = model.routes.filter((r) => !opts.configuredProviders || opts.configuredProviders.has(r.provider));
  // A default request runs each route at its default resolution; endpoints are listed cheapest first for it.
  const routes = listed
    .map((r, i) => ({ r, i, dflt: priceAt(r, r.defaultResolution, model.defaultDuration)! }))
    .sort((a, b) => a.dflt.request_cents - b.dflt.request_cents || a.i - b.i);
  return {
    id: model.slug,
    object: 'model',
    name: model.name,
    description: model.description,
    capabilities: caps(model.capabilities),
    default_duration: model.defaultDuration,
    min_duration: model.minDuration,
    max_duration: model.maxDuration,
    durations: [...model.durations],
    aspect_ratios: [...model.aspectRatios],
    resolutions: [...model.resolutions],
    default_resolution: model.defaultResolution,
    options: Object.fromEntries(model.options.map((o) => [o.name, publicOption(o)])),
    pricing: routes[0]?.dflt ?? null,
    pricing_by_resolution: model.resolutions
      .map((res) => cheapest(routes.map(({ r }) => priceAt(r, res, model.defaultDuration))))
      .filter((p): p is PublicModelPrice => p !== undefined),
    endpoints: routes.map(({ r }) => ({
      provider: publicProviderName(r),
      user_selectable: r.userSelectable,
      resolutions: [...r.resolutions],
      pricing: r.pricing.map((p) => ({ resolution: p.resolution, per_request_cents: p.perRequestCents, per_second_cents: p.perSecondCents })),
      audio_multiplier: r.audioMultiplier,
      capabilities: caps(r.capabilities),
      max_duration: r.maxDuration,
      durations: [...r.durations],
      aspect_ratios: [...r.aspectRatios],
      options: [...r.options],
      ...(opts.health ? { health: endpointHealth(opts.health.of(r.id), opts.health.windowMs) } : {}),
    })),
  };
}

/** `GET /v1/models` data: every model in catalog order (minus unservable ones when configuredProviders is given). */
export function listPublicModels(catalog: Catalog, opts: PublicViewOptions = {}): PublicModel[] {
  return catalog.listModels()
    .map((m) => toPublicModel(m, opts))
    .filter((m) => !opts.configuredProviders || m.endpoints.length > 0);
}

/** `GET /v1/models/{id}` data, or undefined when the slug is unknown. */
export function getPublicModel(catalog: Catalog, slug: string, opts: PublicViewOptions = {}): PublicModel | undefined {
  const m = catalog.getModel(slug);
  return m ? toPublicModel(m, opts) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Engines (`GET /v1/engines`)
// ---------------------------------------------------------------------------------------------

export interface PublicEngineModel {
  id: string;
  name: string;
  pricing: {
    input_per_million_usd: number;
    output_per_million_usd: number;
    input_per_million_cents: number;
    output_per_million_cents: number;
  };
}

export interface PublicEngine {
  id: string;
  object: 'engine';
  name: string;
  description: string;
  /** True for the engine used when the request names none. */
  default: boolean;
  default_provider: string;
  providers: string[];
  output_media_type: string;
  artifact_media_type: string | null;
  models: PublicEngineModel[];
  /** Only for `auto`: which engine is picked for which prompt keywords, else `fallback`. */
  selection: { rules: { engine: string; keywords: string[] }[]; fallback: string } | null;
}

export function toPublicEngine(catalog: Catalog, engine: EngineDef): PublicEngine {
  return {
    id: engine.slug,
    object: 'engine',
    name: engine.name,
    description: engine.description,
    default: engine.slug === catalog.defaultEngine,
    default_provider: engine.defaultProvider,
    providers: [...engine.providers],
    output_media_type: engine.outputMediaType,
    artifact_media_type: engine.artifactMediaType,
    models: engine.models.map((id) => {
      const m = catalog.getOrchestrationModel(id)!;
      return {
        id: m.id,
        name: m.name,
        pricing: {
          input_per_million_usd: m.pricing.inputPerMillionUsd,
          output_per_million_usd: m.pricing.outputPerMillionUsd,
          input_per_million_cents: m.pricing.inputPerMillionCents,
          output_per_million_cents: m.pricing.outputPerMillionCents,
        },
      };
    }),
    selection: engine.auto
      ? { rules: engine.auto.rules.map((r) => ({ engine: r.engine, keywords: [...r.keywords] })), fallback: engine.auto.fallback }
      : null,
  };
}

export function listPublicEngines(catalog: Catalog): PublicEngine[] {
  return catalog.listEngines().map((e) => toPublicEngine(catalog, e));
}
