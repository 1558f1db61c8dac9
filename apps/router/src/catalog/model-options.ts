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

const TYPES: readonly OptionType[] = ['boolean', 'integer', 'number', 'string', 'enum', 'media_url'];
const NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x);

/** Parses a model's `options` object; problems go to `add(path, message)`. */
export function parseModelOptions(raw: unknown, path: string, providers: readonly string[], add: (path: string, msg: string) => void): ModelOption[] {
  if (raw === undefined) return [];
  if (!isObj(raw)) {
    add(path, 'options must be an object of option definitions');
    return [];
  }
  const out: ModelOption[] = [];
  for (const [name, def] of Object.entries(raw)) {
    const at = `${path}.options.${name}`;
    if (!NAME_RE.test(name)) add(at, 'option names are lower-case letters, digits and _');
    if (!isObj(def)) {
      add(at, 'must be an object {type, price, …}');
      continue;
    }
    const type = def.type as OptionType;
    if (!TYPES.includes(type)) {
      add(at, `type must be one of ${TYPES.join(', ')}`);
      continue;
    }
    const price = parsePrice(def.price, at, add);
    const numberField = (k: string) => {
      const v = def[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isFinite(v)) add(at, `${k} must be a finite number`);
      return typeof v === 'number' ? v : undefined;
    };
    const opt: ModelOption = {
      name,
      type,
      description: typeof def.description === 'string' ? def.description : '',
      minimum: numberField('minimum'),
      maximum: numberField('maximum'),
      maxLength: numberField('max_length'),
      requiresImage: def.requires_image === true,
      price: price ?? NO_PRICE_EFFECT,
    };
    if (type === 'enum') {
      if (!Array.isArray(def.values) || def.values.length === 0 || def.values.some((v) => typeof v !== 'string')) add(at, 'an enum option needs values: a non-empty array of strings');
      else opt.values = def.values as string[];
    }
    if (type === 'string' && opt.maxLength === undefined) add(at, 'a string option needs max_length');
    if (def.providers !== undefined) {
      if (!Array.isArray(def.providers) || def.providers.length === 0) add(at, 'providers must be a non-empty array of provider slugs');
      else {
        const unknown = def.providers.filter((p) => !providers.includes(p as string));
        if (unknown.length) add(at, `providers ${unknown.join(', ')} have no route on this model`);
        opt.providers = def.providers as string[];
      }
    }
    out.push(opt);
  }
  return out;
}

function parsePrice(raw: unknown, at: string, add: (path: string, msg: string) => void): OptionPrice | undefined {
  if (raw === 'none') return NO_PRICE_EFFECT;
  if (!isObj(raw)) {
    add(at, 'price is required: "none", {"per_request_cents": n} or {"per_second_multiplier": m} (every option declares its price effect)');
    return undefined;
  }
  const perRequestCents = raw.per_request_cents ?? 0;
  const perSecondMultiplier = raw.per_second_multiplier ?? 1;
  if (typeof perRequestCents !== 'number' || perRequestCents < 0) add(at, 'price.per_request_cents must be a number >= 0');
  if (typeof perSecondMultiplier !== 'number' || perSecondMultiplier < 1) add(at, 'price.per_second_multiplier must be a number >= 1');
  return { perRequestCents: Number(perRequestCents), perSecondMultiplier: Number(perSecondMultiplier) };
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
