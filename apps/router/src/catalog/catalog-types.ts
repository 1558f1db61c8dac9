/**
 * The catalog's domain types (camelCase, effective route limits computed) and its validation error.
 * The files they are built from are described by `catalog-schema.ts`.
 */
import type { Engine, ProviderSlug } from '@pipevideo/contracts';
import { USER_SELECTABLE_VIDEO_PROVIDERS } from '@pipevideo/contracts';
import type { ModelOption } from './model-options';

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

/** Problems found by the cross-field rules, each `path: message`; thrown together as one error. */
export class CatalogProblems {
  readonly list: string[] = [];
  get count(): number {
    return this.list.length;
  }
  add(path: string, msg: string): void {
    this.list.push(`${path}: ${msg}`);
  }
  throwIfAny(source: string): void {
    if (this.list.length) throw new CatalogValidationError(source, this.list);
  }
}
