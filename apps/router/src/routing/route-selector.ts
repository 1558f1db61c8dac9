/**
 * Route selection for the video generations API: which (model, route) pairs may serve a request, and
 * in which order the router tries them. Pure function of (catalog, request, context); see README.md.
 *
 * Eligibility of a route (all must hold):
 *   1. its provider is configured in this deployment;
 *   2. it is user-selectable, or it is internal and internal routes are allowed (default: yes — the
 *      platform uses vercel-gateway by itself; the customer just can never *name* it);
 *   3. its circuit breaker is not open (`ctx.isRouteOpen`);
 *   4. it supports the request: imageUrl → image_to_video (else text_to_video), withAudio → audio,
 *      duration (model default when absent) exactly one the route makes (catalog `durations`),
 *      aspectRatio offered, every sent option taken by the route with a valid value (catalog
 *      `options`; an option no requested model takes is a 400); a requested resolution the *model* does not offer at all is a mismatch
 *      for every route (a resolution only some routes offer is a preference, see ordering);
 *   5. estimated cost (options' price effects included) <= max_price.per_request_cents and per-second rate (audio multiplier
 *      included) <= max_price.per_second_cents (see pricing.ts).
 *
 *   6. provider.only / provider.ignore: its provider is named in `only` (when given; internal routes
 *      are never named, so `only` leaves them out) and not named in `ignore`;
 *   7. provider.require_parameters: the route honours every parameter sent — a requested resolution
 *      it does not offer excludes it instead of running it at its default resolution (audio, duration,
 *      aspect ratio, image and options are always required, see 4).
 *
 * Ordering (models strictly in request order; within one model, a stable sort on):
 *   1. resolution match — when `resolution` is requested, routes offering it come before routes that
 *      do not (those run at their default resolution). Resolution is about *what* the customer gets,
 *      provider.order about *who* makes it, so the output the customer asked for wins over the
 *      preferred provider;
 *   2. provider.order — routes whose provider is named come first, in the order named;
 *   3. health — healthy routes before unhealthy ones (measured success rate below the threshold over
 *      enough recent outcomes, `ctx.isUnhealthy`); routes in an outage are already out (breaker, 3);
 *   4. provider.sort — `price` (default): estimated cost; `latency`: measured median time to
 *      completion, unmeasured routes last; `success`: measured success rate, highest first (a route
 *      without outcomes counts as 50%) — each with ties broken by estimated cost;
 *   5. estimated cost, lowest first (at the resolution the route would run at);
 *   6. catalog order of the routes (deterministic tie-break).
 * max_price caps are filters, so they apply to routes named in provider.order too.
 * provider.allow_fallbacks = false keeps only the first route of each model (fallbacks across the
 * models of `models[]` stay: the customer listed them).
 */
import { badRequest, type ProviderSlug, type VideoRequest } from '@pipevideo/contracts';
import { Catalog, CatalogRoute, VideoModel } from '../catalog/catalog';
import { publicProviderName } from '../catalog/public-view';
import { optionsPriceEffect, optionValueProblem } from '../catalog/model-options';
import type { RouteHealthSummary } from '../health/route-window';
import { estimateCostCents, perSecondRateCents, priceInputs, resolveDuration, withOptionPrice } from './pricing';
import { normalizeProviderPrefs, type RouteSort } from './provider-prefs';

export { normalizeProviderOrder } from './provider-prefs';

export interface RouteSelectionContext {
  /** Providers this deployment has credentials / adapters for. */
  configuredProviders: ReadonlySet<ProviderSlug>;
  /** True when the route's circuit breaker currently rejects calls. */
  isRouteOpen(routeId: string): boolean;
  /** May internal (vercel-gateway) routes be used? Default true. */
  allowInternalRoutes?: boolean;
  /** The route's measured health over the recent window (shared by all replicas); absent = nothing measured. */
  health?(routeId: string): RouteHealthSummary;
  /** True when the route's measured success rate says it is unhealthy (tried after healthy routes). */
  isUnhealthy?(routeId: string): boolean;
}

export interface Candidate {
  modelSlug: string;
  route: CatalogRoute;
  /** Resolution this route would run at: the requested one when offered, else the route's default. */
  resolution: string;
  /** True when no resolution was requested or the route offers the requested one. */
  resolutionMatched: boolean;
  durationSeconds: number;
  withAudio: boolean;
  /** Hold amount: per_request + per_second × duration × audio multiplier, rounded up. */
  estimatedCostCents: number;
  /** Effective per-second rate (audio multiplier applied when withAudio). */
  perSecondCents: number;
  /** The provider's model id to call: the image-to-video endpoint when imageUrl is set and the route has one. */
  providerModelId: string;
}

export interface RouteRejection {
  routeId: string;
  /** Public provider name (`pipevideo` for internal routes). */
  provider: string;
  reasons: string[];
}

export interface ModelRejection {
  model: string;
  /** Reasons that exclude every route of the model (capability / parameter mismatch). */
  reasons: string[];
  /** Per-route reasons (only when `reasons` is empty). */
  routes: RouteRejection[];
}

export interface RouteEvaluation {
  candidates: Candidate[];
  /** Why routes were excluded, per model (models with some candidates may still list rejected routes). */
  rejections: ModelRejection[];
}

/** The requested models, de-duplicated, all known (else 400 "Model not found"). */
function resolveModels(catalog: Catalog, request: VideoRequest): VideoModel[] {
  if (!Array.isArray(request.models) || request.models.length === 0) {
    throw badRequest('models must be a non-empty array of model slugs. See GET /v1/models');
  }
  const out: VideoModel[] = [];
  for (const slug of request.models) {
    const model = typeof slug === 'string' ? catalog.getModel(slug) : undefined;
    if (!model) throw badRequest(`Model not found: ${String(slug)}. See GET /v1/models`);
    if (!out.includes(model)) out.push(model);
  }
  return out;
}

const list = (xs: readonly (string | number)[]) => xs.join(', ');

interface Wanted {
  imageToVideo: boolean;
  withAudio: boolean;
  duration: number;
  aspectRatio?: string;
  resolution?: string;
  options: Readonly<Record<string, unknown>>;
}

/** Every option key must be an option of some requested model: a typo is a 400 naming it, not a silent drop. */
function checkOptionNames(models: readonly VideoModel[], options: Readonly<Record<string, unknown>>): void {
  for (const name of Object.keys(options)) {
    if (models.some((m) => m.options.some((o) => o.name === name))) continue;
    const offered = models.map((m) => `${m.slug}: ${m.options.map((o) => o.name).join(', ') || 'none'}`).join('; ');
    throw badRequest(`options.${name} is not an option of ${models.map((m) => m.slug).join(', ')} (options they take — ${offered}). See GET /v1/models`, { param: `options.${name}` });
  }
}

/** Reasons the model as a whole cannot serve the request (empty = some route might). */
function modelMismatches(model: VideoModel, w: Wanted): string[] {
  const r: string[] = [];
  if (w.imageToVideo && !model.capabilities.imageToVideo) r.push('does not support image-to-video (imageUrl)');
  if (!w.imageToVideo && !model.capabilities.textToVideo) r.push('requires imageUrl (image-to-video only)');
  if (w.withAudio && !model.capabilities.audio) r.push('does not support audio (withAudio)');
  if (!Number.isFinite(w.duration) || w.duration <= 0) r.push(`duration ${w.duration} is not a positive number of seconds`);
  else if (!model.durations.includes(w.duration)) r.push(`duration ${w.duration}s is not made by this model (allowed: ${list(model.durations)} seconds)`);
  if (w.aspectRatio !== undefined && !model.aspectRatios.includes(w.aspectRatio)) {
    r.push(`aspect ratio ${w.aspectRatio} not supported (supported: ${list(model.aspectRatios)})`);
  }
  if (w.resolution !== undefined && !model.resolutions.includes(w.resolution)) {
    r.push(`resolution ${w.resolution} not supported (supported: ${list(model.resolutions)})`);
  }
  for (const [name, value] of Object.entries(w.options)) {
    const def = model.options.find((o) => o.name === name);
    if (!def) r.push(`does not take options.${name}`);
    else {
      const problem = optionValueProblem(def, value);
      if (problem) r.push(`options.${name} ${problem}`);
      else if (def.requiresImage && !w.imageToVideo) r.push(`options.${name} needs imageUrl (image-to-video)`);
    }
  }
  return r;
}

/** Reasons this route (of a model that passed modelMismatches) cannot serve the request. */
function routeMismatches(route: CatalogRoute, w: Wanted): string[] {
  const r: string[] = [];
  if (w.imageToVideo && !route.capabilities.imageToVideo) r.push('no image-to-video on this route');
  if (!w.imageToVideo && !route.capabilities.textToVideo) r.push('no text-to-video on this route');
  if (w.withAudio && !route.capabilities.audio) r.push('no audio on this route');
  if (!route.durations.includes(w.duration)) r.push(`duration ${w.duration}s not made on this route (allowed: ${list(route.durations)} seconds)`);
  if (w.aspectRatio !== undefined && !route.aspectRatios.includes(w.aspectRatio)) r.push(`aspect ratio ${w.aspectRatio} not supported on this route`);
  for (const name of Object.keys(w.options)) if (!route.options.includes(name)) r.push(`options.${name} not taken on this route`);
  return r;
}

/**
 * Evaluates every route of every requested model: the ordered candidates plus the reasons for each
 * excluded route. Throws 400 for an unknown model or provider slug, never for "nothing eligible".
 */
export function evaluateRoutes(catalog: Catalog, request: VideoRequest, ctx: RouteSelectionContext): RouteEvaluation {
  const models = resolveModels(catalog, request);
  const prefs = normalizeProviderPrefs(request.provider);
  const order = prefs.order;
  const maxPrice = request.provider?.max_price ?? {};
  const capRequest = typeof maxPrice.per_request_cents === 'number' ? maxPrice.per_request_cents : undefined;
  const capSecond = typeof maxPrice.per_second_cents === 'number' ? maxPrice.per_second_cents : undefined;
  const allowInternal = ctx.allowInternalRoutes ?? true;
  const imageToVideo = typeof request.imageUrl === 'string' && request.imageUrl.trim() !== '';
  const withAudio = request.withAudio === true;
  const options = request.options ?? {};
  checkOptionNames(models, options);

  const candidates: Candidate[] = [];
  const rejections: ModelRejection[] = [];

  for (const model of models) {
    const w: Wanted = {
      imageToVideo,
      withAudio,
      duration: resolveDuration(model, request.duration),
      aspectRatio: request.aspectRatio ?? undefined,
      resolution: request.resolution ?? undefined,
      options,
    };
    const modelReasons = modelMismatches(model, w);
    if (modelReasons.length) {
      rejections.push({ model: model.slug, reasons: modelReasons, routes: [] });
      continue;
    }

    const eligible: { c: Candidate; idx: number }[] = [];
    const rejected: RouteRejection[] = [];
    model.routes.forEach((route, idx) => {
      const reasons: string[] = [];
      if (!ctx.configuredProviders.has(route.provider)) reasons.push('provider not configured');
      if (!route.userSelectable && !allowInternal) reasons.push('internal route not allowed');
      if (ctx.isRouteOpen(route.id)) reasons.push('circuit breaker open');
      if (prefs.only && !prefs.only.includes(route.provider)) reasons.push('not in provider.only');
      if (prefs.ignore.includes(route.provider)) reasons.push('in provider.ignore');
      reasons.push(...routeMismatches(route, w));

      const resolutionMatched = w.resolution === undefined || route.resolutions.includes(w.resolution);
      if (!resolutionMatched && prefs.requireParameters) reasons.push(`resolution ${w.resolution} not offered on this route (provider.require_parameters)`);
      const resolution = w.resolution !== undefined && resolutionMatched ? w.resolution : route.defaultResolution;
      const price = withOptionPrice(priceInputs(route, resolution), optionsPriceEffect(model.options, options));
      const estimatedCostCents = estimateCostCents(price, w.duration, withAudio);
      const perSecondCents = perSecondRateCents(price, withAudio);
      if (capRequest !== undefined && estimatedCostCents > capRequest) {
        reasons.push(`exceeds max_price.per_request_cents (${estimatedCostCents} > ${capRequest})`);
      }
      if (capSecond !== undefined && perSecondCents > capSecond) {
        reasons.push(`exceeds max_price.per_second_cents (${perSecondCents} > ${capSecond})`);
      }

      if (reasons.length) {
        rejected.push({ routeId: route.id, provider: publicProviderName(route), reasons });
        return;
      }
      eligible.push({
        idx,
        c: {
          modelSlug: model.slug,
          route,
          resolution,
          resolutionMatched,
          durationSeconds: w.duration,
          withAudio,
          estimatedCostCents,
          perSecondCents,
          providerModelId: imageToVideo && route.imageToVideoModelId ? route.imageToVideoModelId : route.providerModelId,
        },
      });
    });

    const rank = (route: CatalogRoute) => {
      const i = order.indexOf(route.provider);
      return i === -1 ? order.length : i;
    };
    const unhealthy = (route: CatalogRoute) => Number(ctx.isUnhealthy?.(route.id) ?? false);
    const sortKey = sortKeyOf(prefs.sort, ctx);
    eligible.sort((a, b) =>
      Number(!a.c.resolutionMatched) - Number(!b.c.resolutionMatched)
      || rank(a.c.route) - rank(b.c.route)
      || unhealthy(a.c.route) - unhealthy(b.c.route)
      || sortKey(a.c.route) - sortKey(b.c.route)
      || a.c.estimatedCostCents - b.c.estimatedCostCents
      || a.idx - b.idx);
    candidates.push(...(prefs.allowFallbacks ? eligible : eligible.slice(0, 1)).map((e) => e.c));
    if (rejected.length) rejections.push({ model: model.slug, reasons: [], routes: rejected });
  }

  return { candidates, rejections };
}

/**
 * The `provider.sort` key of a route, lower first (0 for every route under `price`: the estimated cost,
 * the next key, decides). Latency: the measured median completion time, unmeasured routes last.
 * Success: minus the success rate with one success and one failure added (Laplace), so a route without
 * outcomes counts as 50% and two outcomes do not outweigh a long record.
 */
function sortKeyOf(sort: RouteSort, ctx: RouteSelectionContext): (route: CatalogRoute) => number {
  if (sort === 'latency') return (r) => ctx.health?.(r.id).p50Ms ?? Number.POSITIVE_INFINITY;
  if (sort === 'success') {
    return (r) => {
      const h = ctx.health?.(r.id);
      return -(((h?.successes ?? 0) + 1) / ((h?.samples ?? 0) + 2));
    };
  }
  return () => 0;
}

/** Human-readable "why nothing is eligible", one sentence per model. */
export function describeRejections(rejections: readonly ModelRejection[]): string {
  return rejections
    .map((m) => {
      const why = m.reasons.length
        ? m.reasons.join('; ')
        : m.routes.map((r) => `${r.provider}: ${r.reasons.join(', ')}`).join('; ');
      return `No eligible route for ${m.model}: ${why}`;
    })
    .join('. ');
}

/**
 * Ordered candidates for a video request: every eligible route of the first model, then of the
 * next model, and so on (a model without eligible routes is skipped). Throws BAD_REQUEST (from
 * contracts) for an unknown model, an unknown / internal provider in provider.order, or when no
 * model has any eligible route — that message says why, per model and route, and `details` carries
 * the structured rejections.
 */
export function selectRoutes(catalog: Catalog, request: VideoRequest, ctx: RouteSelectionContext): Candidate[] {
  const { candidates, rejections } = evaluateRoutes(catalog, request, ctx);
  if (candidates.length === 0) {
    throw badRequest(describeRejections(rejections), { rejections });
  }
  return candidates;
}
