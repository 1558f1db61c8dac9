import type { PublicModelOption } from '@pipevideo/contracts';
/**
 * Model options: the only way a request carries model-specific parameters to a provider (issue
 * "Money matches the work": nothing unpriced passes through). Each model's catalog entry allow-lists
 * its options with a type, the providers whose routes take it, and a declared price effect, which the
 * route's estimate (what is held and captured) applies.
 *
 * Catalog shape (`catalog.json`, per model):
 *   "options": {
 *     "seed": { "type": "integer", "minimum": 0, "maximum": 4294967295, "description": "…", "price": "none" },
 *     "enable_prompt_expansion": { "type": "boolean", "providers": ["fal", "replicate"], "price": { "per_request_cents": 1 } },
 *     "end_image_url": { "type": "media_url", "requires_image": true, "price": "none" }
 *   }
 * Types: boolean, integer, number (minimum/maximum), string (max_length), enum (values), media_url
 * (https or data:image URI; the providers service checks the address just before the call).
 * Price: "none", { "per_request_cents": n } (a flat fee added) or { "per_second_multiplier": m }
 * (multiplies the per-second price, like the audio multiplier). A price effect applies when the option
 * is sent with any value other than `false`.
 */
import { mediaUrlProblem, publicProviderName } from '@pipevideo/contracts';
import type { ModelOptionEntry } from './catalog-schema';

export type OptionType = 'boolean' | 'integer' | 'number' | 'string' | 'enum' | 'media_url';

export interface OptionPrice {
  /** Flat fee added to the request (cents). */
  perRequestCents: number;
  /** Multiplies the per-second price (1 = no effect). */
  perSecondMultiplier: number;
}

export interface ModelOption {
  name: string;
  type: OptionType;
  description: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  values?: readonly string[];
  /** Only meaningful with an input image (image-to-video), e.g. an end frame. */
  requiresImage: boolean;
  /** Providers whose routes of this model take the option; undefined = every route. */
  providers?: readonly string[];
  price: OptionPrice;
}

export const NO_PRICE_EFFECT: OptionPrice = Object.freeze({ perRequestCents: 0, perSecondMultiplier: 1 });

/**
 * A model's `options` entries (shape already checked by the catalog schema) → ModelOptions, with the
 * rules between their fields; problems go to `add(path, message)`.
 */
export function modelOptionsFromEntries(entries: Readonly<Record<string, ModelOptionEntry>> | undefined, path: string, providers: readonly string[], add: (path: string, msg: string) => void): ModelOption[] {
  const out: ModelOption[] = [];
  for (const [name, def] of Object.entries(entries ?? {})) {
    const at = `${path}.options.${name}`;
    const opt: ModelOption = {
      name,
      type: def.type,
      description: def.description ?? '',
      minimum: def.minimum,
      maximum: def.maximum,
      maxLength: def.max_length,
      requiresImage: def.requires_image === true,
      price: def.price === 'none' ? NO_PRICE_EFFECT : { perRequestCents: def.price.per_request_cents ?? 0, perSecondMultiplier: def.price.per_second_multiplier ?? 1 },
    };
    if (def.type === 'enum') {
      if (!def.values) add(at, 'an enum option needs values: a non-empty array of strings');
      else opt.values = def.values;
    }
    if (def.type === 'string' && opt.maxLength === undefined) add(at, 'a string option needs max_length');
    if (def.providers) {
      const unknown = def.providers.filter((p) => !providers.includes(p));
      if (unknown.length) add(at, `providers ${unknown.join(', ')} have no route on this model`);
      opt.providers = def.providers;
    }
    out.push(opt);
  }
  return out;
}

/** Why `value` is not acceptable for the option (phrased to follow `options.<name>`), or null. */
export function optionValueProblem(opt: ModelOption, value: unknown): string | null {
  switch (opt.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (opt.type === 'integer' && !Number.isInteger(value))) return `must be ${opt.type === 'integer' ? 'an integer' : 'a number'}${range(opt)}`;
      if ((opt.minimum !== undefined && value < opt.minimum) || (opt.maximum !== undefined && value > opt.maximum)) return `must be${range(opt)}`;
      return null;
    }
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return opt.maxLength !== undefined && value.length > opt.maxLength ? `must be at most ${opt.maxLength} characters` : null;
    case 'enum':
      return typeof value === 'string' && opt.values!.includes(value) ? null : `must be one of ${opt.values!.join(', ')}`;
    case 'media_url':
      return mediaUrlProblem(value, 'image');
  }
}

function range(opt: ModelOption): string {
  if (opt.minimum !== undefined && opt.maximum !== undefined) return ` between ${opt.minimum} and ${opt.maximum}`;
  if (opt.minimum !== undefined) return ` >= ${opt.minimum}`;
  if (opt.maximum !== undefined) return ` <= ${opt.maximum}`;
  return '';
}

/** The combined price effect of the options a request sends (`false` values cost nothing). */
export function optionsPriceEffect(defs: readonly ModelOption[], sent: Readonly<Record<string, unknown>> | undefined): OptionPrice {
  let perRequestCents = 0;
  let perSecondMultiplier = 1;
  for (const [name, value] of Object.entries(sent ?? {})) {
    if (value === false) continue;
    const def = defs.find((d) => d.name === name);
    if (!def) continue;
    perRequestCents += def.price.perRequestCents;
    perSecondMultiplier *= def.price.perSecondMultiplier;
  }
  return { perRequestCents, perSecondMultiplier };
}

/** Public shape (`GET /v1/models` `options`), snake_case like the catalog. */
export function publicOption(o: ModelOption): PublicModelOption {
  return {
    type: o.type,
    description: o.description,
    ...(o.minimum !== undefined ? { minimum: o.minimum } : {}),
    ...(o.maximum !== undefined ? { maximum: o.maximum } : {}),
    ...(o.maxLength !== undefined ? { max_length: o.maxLength } : {}),
    ...(o.values ? { values: [...o.values] } : {}),
    ...(o.requiresImage ? { requires_image: true } : {}),
    ...(o.providers ? { providers: o.providers.map((p) => publicProviderName(p)) } : {}),
    price:
      o.price.perRequestCents === 0 && o.price.perSecondMultiplier === 1
        ? ('none' as const)
        : { ...(o.price.perRequestCents ? { per_request_cents: o.price.perRequestCents } : {}), ...(o.price.perSecondMultiplier !== 1 ? { per_second_multiplier: o.price.perSecondMultiplier } : {}) },
  };
}
