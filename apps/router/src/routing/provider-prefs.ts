/**
 * The `provider` object of a video request, checked and normalised (OpenRouter's provider routing
 * fields that apply to video): `order`, `only`, `ignore` (provider slugs), `allow_fallbacks`,
 * `require_parameters`, `sort` and `max_price` (read by the route selector itself). The gateway
 * validates the shape first; these checks are the router's own (a 400 naming the field either way).
 */
import { badRequest, type ProviderSlug, USER_SELECTABLE_VIDEO_PROVIDERS, type VideoRequest } from '@pipevideo/contracts';
import { INTERNAL_VIDEO_PROVIDERS } from '../catalog/catalog';

export const ROUTE_SORTS = ['price', 'latency', 'success'] as const;
export type RouteSort = (typeof ROUTE_SORTS)[number];

export interface ProviderPrefs {
  order: ProviderSlug[];
  /** Only these providers (undefined: any). */
  only?: ProviderSlug[];
  ignore: ProviderSlug[];
  /** false: only the first eligible route of each model is tried. */
  allowFallbacks: boolean;
  /** true: a route that would not honour a parameter sent (a requested resolution) is excluded. */
  requireParameters: boolean;
  sort: RouteSort;
}

const ALLOWED_HINT = `Allowed provider slugs: ${USER_SELECTABLE_VIDEO_PROVIDERS.join(', ')}`;

/**
 * A list of provider slugs (trimmed, lower-cased, duplicates dropped). Unknown slugs and internal /
 * non-video providers are a 400 naming the field and the allowed slugs.
 */
export function normalizeProviderSlugs(field: string, list: unknown): ProviderSlug[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw badRequest(`${field} must be an array of provider slugs. ${ALLOWED_HINT}`, { param: field });
  const out: ProviderSlug[] = [];
  for (const raw of list) {
    if (typeof raw !== 'string') throw badRequest(`${field} must contain only strings. ${ALLOWED_HINT}`, { param: field });
    const slug = raw.trim().toLowerCase();
    if ((INTERNAL_VIDEO_PROVIDERS as readonly string[]).includes(slug)) {
      throw badRequest(`Provider '${slug}' is used internally and is not user-selectable. ${ALLOWED_HINT}`, { param: field });
    }
    if (slug === 'framerate') {
      throw badRequest(`Provider 'framerate' serves the Responses API (/v1/responses), not video generations. ${ALLOWED_HINT}`, { param: field });
    }
    if (!(USER_SELECTABLE_VIDEO_PROVIDERS as string[]).includes(slug)) {
      throw badRequest(`Unknown provider '${raw}' in ${field}. ${ALLOWED_HINT}`, { param: field });
    }
    if (!out.includes(slug as ProviderSlug)) out.push(slug as ProviderSlug);
  }
  return out;
}

/** `provider.order`, validated and normalised (see normalizeProviderSlugs). */
export function normalizeProviderOrder(order: unknown): ProviderSlug[] {
  return normalizeProviderSlugs('provider.order', order);
}

function bool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw badRequest(`${field} must be true or false`, { param: field });
  return v;
}

export function normalizeProviderPrefs(provider: VideoRequest['provider']): ProviderPrefs {
  const p = provider ?? {};
  const only = p.only === undefined || p.only === null ? undefined : normalizeProviderSlugs('provider.only', p.only);
  if (only && only.length === 0) throw badRequest(`provider.only must name at least one provider (or be left out). ${ALLOWED_HINT}`, { param: 'provider.only' });
  const ignore = normalizeProviderSlugs('provider.ignore', p.ignore);
  const both = only?.filter((s) => ignore.includes(s)) ?? [];
  if (both.length) throw badRequest(`provider.only and provider.ignore both name ${both.join(', ')}; name a provider in one of them`, { param: 'provider.ignore' });
  const sort = p.sort ?? 'price';
  if (!(ROUTE_SORTS as readonly unknown[]).includes(sort)) {
    throw badRequest(`provider.sort must be one of ${ROUTE_SORTS.join(', ')} (got ${JSON.stringify(sort).slice(0, 40)})`, { param: 'provider.sort' });
  }
  return {
    order: normalizeProviderOrder(p.order),
    only,
    ignore,
    allowFallbacks: bool('provider.allow_fallbacks', p.allow_fallbacks, true),
    requireParameters: bool('provider.require_parameters', p.require_parameters, false),
    sort: sort as RouteSort,
  };
}
