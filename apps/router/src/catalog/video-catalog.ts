/**
 * `catalog.json` → the video models. The file's shape is checked by its schema (`catalog-schema.ts`);
 * the rules that relate its fields are here:
 * - model slugs and route ids are unique across the catalog, and a model has at most one route per
 *   provider (`provider.order` names providers, so two routes on one provider would be ambiguous);
 * - `vercel-gateway` routes are internal: `user_selectable: false`;
 * - every route is priced once per resolution, each resolution offered by the model; every resolution
 *   the model advertises is priced by at least one route;
 * - per-route `capabilities`, `max_duration` and `aspect_ratios` can only *restrict* the model's;
 * - durations: the exact `durations` the providers make (no continuous range: a provider would round
 *   a value it cannot make and the bill would differ from the video); they contain
 *   `default_duration`, and `min_duration`/`max_duration` are the smallest and largest;
 * - `audio_multiplier` is required on routes of models with audio, and 1 otherwise;
 * - options name only providers the model has routes on (model-options.ts).
 */
import { CatalogProblems, CatalogValidationError, CatalogRoute, INTERNAL_VIDEO_PROVIDERS, ResolutionPrice, VideoCapabilities, VideoModel } from './catalog-types';
import { describeIssues, RouteEntry, videoCatalogFile, VideoModelEntry } from './catalog-schema';
import { modelOptionsFromEntries } from './model-options';

/** Validates `catalog.json` content and returns the models (camelCase, effective route limits computed). */
export function parseVideoCatalog(raw: unknown): VideoModel[] {
  const parsed = videoCatalogFile.safeParse(raw);
  if (!parsed.success) throw new CatalogValidationError('video catalog', describeIssues(raw, parsed.error.issues));
  const p = new CatalogProblems();
  const slugs = new Set<string>();
  const routeIds = new Set<string>();
  const models: VideoModel[] = [];
  parsed.data.models.forEach((m, i) => {
    const mpath = `models[${i}] (${m.slug})`;
    if (slugs.has(m.slug)) p.add(mpath, `duplicate model slug "${m.slug}"`);
    slugs.add(m.slug);
    const model = modelRules(p, m, mpath);
    const routes: CatalogRoute[] = [];
    const providersSeen = new Set<string>();
    m.routes.forEach((r, j) => {
      const rpath = `${mpath}.routes[${j}] (${r.id})`;
      if (routeIds.has(r.id)) p.add(rpath, `duplicate route id "${r.id}"`);
      routeIds.add(r.id);
      if (providersSeen.has(r.provider)) p.add(rpath, `second route on provider "${r.provider}" for the same model`);
      providersSeen.add(r.provider);
      const route = routeRules(p, m, model, r, rpath);
      if (route) routes.push(route);
    });
    const options = modelOptionsFromEntries(m.options, mpath, m.routes.map((r) => r.provider), (at, msg) => p.add(at, msg));
    for (const res of m.resolutions) {
      if (!routes.some((r) => r.resolutions.includes(res))) p.add(mpath, `resolution "${res}" is not priced by any route`);
    }
    if (m.capabilities.image_to_video && routes.length && !routes.some((r) => r.capabilities.imageToVideo)) {
      p.add(mpath, 'image_to_video is advertised but no route supports it');
    }
    if (m.capabilities.audio && routes.length && !routes.some((r) => r.capabilities.audio)) {
      p.add(mpath, 'audio is advertised but no route supports it');
    }
    models.push({
      ...model,
      options,
      routes: routes.map((r) => ({ ...r, options: options.filter((o) => !o.providers || o.providers.includes(r.provider)).map((o) => o.name) })),
    });
  });
  p.throwIfAny('video catalog');
  return models;
}

/** The model's own fields: durations and their ends, default resolution, capabilities. */
function modelRules(p: CatalogProblems, m: VideoModelEntry, mpath: string): Omit<VideoModel, 'options' | 'routes'> {
  // The exact durations the model's providers make: what is priced is what is sent upstream.
  const durations = [...m.durations].sort((a, b) => a - b);
  if (!durations.includes(m.default_duration)) p.add(mpath, `default_duration ${m.default_duration} is not in durations [${durations.join(', ')}]`);
  if (durations[durations.length - 1] !== m.max_duration) p.add(mpath, `max_duration ${m.max_duration} must equal the largest of durations [${durations.join(', ')}]`);
  if (durations[0] !== m.min_duration) p.add(mpath, `min_duration ${m.min_duration} must equal the smallest of durations [${durations.join(', ')}]`);
  const defaultResolution = m.default_resolution ?? m.resolutions[0];
  if (!m.resolutions.includes(defaultResolution)) p.add(mpath, `default_resolution "${defaultResolution}" is not in resolutions`);
  const capabilities: VideoCapabilities = { textToVideo: m.capabilities.text_to_video, imageToVideo: m.capabilities.image_to_video, audio: m.capabilities.audio };
  if (!capabilities.textToVideo && !capabilities.imageToVideo) p.add(mpath, 'capabilities: a model needs text_to_video or image_to_video');
  return {
    slug: m.slug,
    name: m.name,
    description: m.description,
    defaultDuration: m.default_duration,
    minDuration: m.min_duration,
    maxDuration: m.max_duration,
    durations,
    aspectRatios: m.aspect_ratios,
    resolutions: m.resolutions,
    defaultResolution,
    capabilities,
  };
}

/** A route: its restrictions may only narrow the model; its prices cover only the model's resolutions. */
function routeRules(p: CatalogProblems, m: VideoModelEntry, model: Omit<VideoModel, 'options' | 'routes'>, r: RouteEntry, rpath: string): CatalogRoute | undefined {
  const problemsBefore = p.count;
  const internal = (INTERNAL_VIDEO_PROVIDERS as readonly string[]).includes(r.provider);
  if (r.user_selectable && internal) p.add(rpath, `provider "${r.provider}" is internal: user_selectable must be false`);
  if (r.audio_multiplier === undefined && model.capabilities.audio) p.add(rpath, 'audio_multiplier is required on routes of a model with audio');

  let capabilities = model.capabilities;
  if (r.capabilities) {
    const rc = { ...model.capabilities };
    for (const [k, field] of [['text_to_video', 'textToVideo'], ['image_to_video', 'imageToVideo'], ['audio', 'audio']] as const) {
      const v = r.capabilities[k];
      if (v === undefined) continue;
      if (v && !model.capabilities[field]) p.add(rpath, `capabilities.${k} cannot be enabled on a route when the model lacks it`);
      rc[field] = v && model.capabilities[field];
    }
    if (!rc.textToVideo && !rc.imageToVideo) p.add(rpath, 'capabilities: a route needs text_to_video or image_to_video');
    capabilities = rc;
  }
  let maxDuration = model.maxDuration;
  if (r.max_duration !== undefined) {
    if (r.max_duration > model.maxDuration) p.add(rpath, `max_duration ${r.max_duration} exceeds the model's ${model.maxDuration}`);
    else if (r.max_duration < model.minDuration) p.add(rpath, `max_duration ${r.max_duration} is below the model's min_duration ${model.minDuration}`);
    else maxDuration = r.max_duration;
  }
  let aspectRatios = model.aspectRatios;
  if (r.aspect_ratios) {
    const extra = r.aspect_ratios.filter((a) => !model.aspectRatios.includes(a));
    if (extra.length) p.add(rpath, `aspect_ratios ${extra.join(', ')} not offered by the model`);
    else aspectRatios = r.aspect_ratios;
  }
  const pricing: ResolutionPrice[] = [];
  r.pricing.forEach((rp, k) => {
    const ppath = `${rpath}.pricing[${k}]`;
    if (!m.resolutions.includes(rp.resolution)) p.add(ppath, `resolution "${rp.resolution}" is not offered by the model (${m.resolutions.join(', ')})`);
    if (pricing.some((x) => x.resolution === rp.resolution)) p.add(ppath, `duplicate pricing for resolution "${rp.resolution}"`);
    pricing.push({ resolution: rp.resolution, perRequestCents: rp.per_request_cents, perSecondCents: rp.per_second_cents });
  });
  if (p.count > problemsBefore) return undefined;
  const resolutions = pricing.map((x) => x.resolution);
  const cheapest = [...pricing].sort((a, b) => a.perSecondCents - b.perSecondCents || a.perRequestCents - b.perRequestCents)[0];
  return {
    id: r.id,
    modelSlug: m.slug,
    provider: r.provider,
    providerModelId: r.provider_model_id,
    ...(r.image_to_video_model_id ? { imageToVideoModelId: r.image_to_video_model_id } : {}),
    userSelectable: r.user_selectable,
    internal,
    audioMultiplier: r.audio_multiplier ?? 1,
    pricing,
    resolutions,
    defaultResolution: resolutions.includes(model.defaultResolution) ? model.defaultResolution : cheapest.resolution,
    capabilities,
    maxDuration,
    durations: model.durations.filter((x) => x <= maxDuration),
    aspectRatios,
    options: [],
  };
}
