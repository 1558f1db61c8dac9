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
import { INTERNAL_PROVIDER_LABEL, type ProviderSlug, type PublicCapabilities, type PublicEndpointHealth, type PublicEngine, type PublicModel, type PublicModelPrice } from '@pipevideo/contracts';
import type { RouteHealthSummary } from '../health/route-window';
import { estimateCostCents } from '../routing/pricing';
import { publicOption } from './model-options';
import { Catalog, CatalogRoute, EngineDef, VideoModel } from './catalog';

export type { PublicCapabilities, PublicEndpoint, PublicEndpointHealth, PublicModel, PublicModelPrice, PublicResolutionPrice } from '@pipevideo/contracts';

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

export type { PublicEngine, PublicEngineModel } from '@pipevideo/contracts';

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
