/**
 * Parameter mapping as DATA, the way Portkey's gateway does it: each provider folder declares which
 * of our fields becomes which provider field (with transforms), model-specific overrides keyed by
 * a model id pattern (the exact durations it makes, different field names), and the model options
 * (`options`, allow-listed per model in the router's catalog) each provider takes under its own name.
 * Nothing else reaches a provider: there is no free pass-through, so everything sent is priced.
 * This file is the one engine that applies such a table.
 */
import { ProviderErrorKind } from '@pipevideo/contracts';
import { ProviderError } from '../provider-error';

export interface MappingContext {
  /** All our parameters (a transform may look at others, e.g. resolution needs the aspect ratio). */
  params: Record<string, unknown>;
  providerModelId: string;
}

export interface FieldRule {
  /** The provider's field name. */
  to: string;
  /** Turns our value into the provider's; returning undefined drops the field. */
  transform?: (value: any, ctx: MappingContext) => unknown;
}

/**
 * `FieldRule` = map it; `null` = the provider has no such field, drop it silently;
 * `'unsupported'` = the provider cannot do what the field asks: refuse the request (bad_request).
 */
export type FieldMapping = FieldRule | null | 'unsupported';

export interface ModelRule {
  /** Provider model ids this rule applies to. The first matching rule wins. */
  match: RegExp;
  /** Per-field overrides of the provider-wide table. */
  fields?: Record<string, FieldMapping>;
  /**
   * The exact durations (seconds) the model makes. Any other value is refused, never rounded: the
   * router prices exactly the duration it sends, from the catalog, which a test holds equal to this.
   */
  durations: readonly number[];
  /** Model options → provider field (merged over the provider-wide `options`). */
  options?: Record<string, FieldMapping>;
  /** Fixed provider fields this model needs. */
  defaults?: Record<string, unknown>;
}

export interface ParamMapping {
  /** Our field → provider field, in the order the provider input is built. */
  fields: Record<string, FieldMapping>;
  models?: readonly ModelRule[];
  /** Fixed provider fields (e.g. Vercel's `n: 1`). */
  defaults?: Record<string, unknown>;
  /** Model options (`params.options`) → provider field; an option without a mapping is refused. */
  options?: Record<string, FieldMapping>;
  /** Our fields that must be present (non-empty). */
  required?: readonly string[];
}

/** The model rule that applies to a provider model id, if any. */
export function modelRuleFor(mapping: ParamMapping, providerModelId: string): ModelRule | undefined {
  return mapping.models?.find((m) => m.match.test(providerModelId));
}

const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/** Applies a mapping table to our parameters; throws ProviderError('bad_request') for unusable input. */
export function mapParams(mapping: ParamMapping, params: Record<string, unknown>, providerModelId: string, provider: string): Record<string, unknown> {
  const ctx: MappingContext = { params, providerModelId };
  const model = modelRuleFor(mapping, providerModelId);
  for (const field of mapping.required ?? []) {
    if (!present(params[field])) throw new ProviderError(ProviderErrorKind.BadRequest, `${field} is required`);
  }
  const out: Record<string, unknown> = { ...(mapping.defaults ?? {}), ...(model?.defaults ?? {}) };
  const duration = params.duration;
  if (present(duration) && !(typeof duration === 'number' && model?.durations.includes(duration))) {
    const made = model ? `${model.durations.join(', ')} s` : 'no duration known for this model';
    throw new ProviderError(ProviderErrorKind.BadRequest, `duration ${String(duration)} is not made by ${provider} ${providerModelId} (it makes ${made})`);
  }
  apply(out, { ...mapping.fields, ...(model?.fields ?? {}) }, params, ctx, (ours) => `${ours} is not supported by ${provider} for ${providerModelId}`);
  const options = params.options;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) throw new ProviderError(ProviderErrorKind.BadRequest, 'options must be an object');
    const rules = { ...(mapping.options ?? {}), ...(model?.options ?? {}) };
    for (const name of Object.keys(options)) {
      if (!(name in rules)) throw new ProviderError(ProviderErrorKind.BadRequest, `option ${name} is not taken by ${provider} for ${providerModelId}`);
    }
    apply(out, rules, options as Record<string, unknown>, ctx, (name) => `option ${name} is not taken by ${provider} for ${providerModelId}`);
  }
  return out;
}

/** Maps each present value through its rule into `out` (null: dropped; 'unsupported': refused). */
function apply(out: Record<string, unknown>, rules: Record<string, FieldMapping>, values: Record<string, unknown>, ctx: MappingContext, refused: (ours: string) => string): void {
  for (const [ours, rule] of Object.entries(rules)) {
    const value = values[ours];
    if (!present(value) || rule === null) continue;
    if (rule === 'unsupported') throw new ProviderError(ProviderErrorKind.BadRequest, refused(ours));
    const mapped = rule.transform ? rule.transform(value, ctx) : value;
    if (mapped !== undefined) out[rule.to] = mapped;
  }
}

/** Whole seconds from..to (inclusive): models that make any whole number of seconds in a range. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Transforms shared by several tables.
export const toInt = (v: unknown) => (typeof v === 'number' ? Math.round(v) : v);
export const toBool = (v: unknown) => v === true || v === 'true';
/** fal's Veo-style duration strings: 8 → "8s". */
export const secondsSuffix = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)}s` : v);
/** Durations some fal models take as enum strings: 5 → "5". */
export const asString = (v: unknown) => (typeof v === 'number' ? String(Math.round(v)) : v);
