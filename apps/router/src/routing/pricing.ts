/**
 * Price arithmetic for video routes and orchestration tokens. Pure functions, no catalog lookups.
 *
 * Video (DESIGN.md "Routing", spec 004):
 *   estimated cost = per_request + per_second × duration × (withAudio ? audio_multiplier : 1),
 *   rounded UP to whole cents. The audio multiplier applies to the per-second part only (the
 *   per-request fee is a flat fee, as in the design's formula).
 *
 *   The per-second rate compared with `provider.max_price.per_second_cents` is the rate the customer
 *   actually pays for one second of video *for this request*: per_second × audio multiplier when
 *   `withAudio` is true. A customer who caps the per-second price caps what they pay; with audio the
 *   effective rate is higher, so a route that passes the cap silently without audio may fail it with
 *   audio. The rate is not rounded to whole cents (it may be e.g. 16.8) — only the total is.
 *
 * Floating point: values are rounded to 6 decimals before rounding up, so 11.2 × 5 (=
 * 56.00000000000001 in IEEE doubles) is 56 cents, not 57.
 */
import type { CatalogRoute, ResolutionPrice, TokenRates, VideoModel } from '../catalog/catalog';

export interface PriceInputs {
  perRequestCents: number;
  perSecondCents: number;
  /** Multiplier of the per-second price when audio is generated (1 = no surcharge). */
  audioMultiplier: number;
}

/** Removes float noise (6 decimals is far below a cent). */
function clean(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Rounds a cent amount up to whole cents, ignoring float noise. */
export function roundUpCents(cents: number): number {
  return Math.ceil(clean(cents));
}

/** Effective per-second rate in cents (audio multiplier applied when withAudio). Not rounded to whole cents. */
export function perSecondRateCents(p: PriceInputs, withAudio: boolean): number {
  return clean(p.perSecondCents * (withAudio ? p.audioMultiplier : 1));
}

/** Estimated cost of one request in whole cents (rounded up). */
export function estimateCostCents(p: PriceInputs, durationSeconds: number, withAudio: boolean): number {
  return roundUpCents(p.perRequestCents + perSecondRateCents(p, withAudio) * durationSeconds);
}

/** The requested duration, or the model's default when the request has none. */
export function resolveDuration(model: Pick<VideoModel, 'defaultDuration'>, requested: number | undefined | null): number {
  return requested === undefined || requested === null ? model.defaultDuration : requested;
}

/** Price inputs with the sent options' declared effect applied (a flat fee, a per-second multiplier). */
export function withOptionPrice(p: PriceInputs, effect: { perRequestCents: number; perSecondMultiplier: number }): PriceInputs {
  return { ...p, perRequestCents: p.perRequestCents + effect.perRequestCents, perSecondCents: clean(p.perSecondCents * effect.perSecondMultiplier) };
}

/** The route's price at a resolution, if it offers it. */
export function priceAt(route: Pick<CatalogRoute, 'pricing'>, resolution: string): ResolutionPrice | undefined {
  return route.pricing.find((p) => p.resolution === resolution);
}

/** Price inputs of a route at a resolution (throws if the route does not offer it — a programming error). */
export function priceInputs(route: CatalogRoute, resolution: string): PriceInputs {
  const p = priceAt(route, resolution);
  if (!p) throw new Error(`route ${route.id} has no price for ${resolution}`);
  return { perRequestCents: p.perRequestCents, perSecondCents: p.perSecondCents, audioMultiplier: route.audioMultiplier };
}

/**
 * Cost of orchestration tokens (Responses API). Cents are rounded UP to whole cents (what the ledger
 * charges); USD is the exact amount (what `usage.cost_usd` reports), rounded to 6 decimals.
 */
export function tokenCost(rates: TokenRates, inputTokens: number, outputTokens: number): { costCents: number; costUsd: number } {
  const cents = (inputTokens * rates.inputPerMillionCents + outputTokens * rates.outputPerMillionCents) / 1_000_000;
  const usd = (inputTokens * rates.inputPerMillionUsd + outputTokens * rates.outputPerMillionUsd) / 1_000_000;
  return { costCents: roundUpCents(cents), costUsd: clean(usd) };
}
