/**
 * Parameter mapping as DATA, the way Portkey's gateway does it: each provider folder declares which
 * of our fields becomes which provider field (with transforms), model-specific overrides keyed by
 * a model id pattern (allowed durations, different field names), and whether unknown extra
 * parameters may be forwarded. This file is the one engine that applies such a table.
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
  /** The only durations the model accepts: a requested value is rounded UP to the next one (max when above). */
  durations?: readonly number[];
  /** Fixed provider fields this model needs. */
  defaults?: Record<string, unknown>;
}

export interface ParamMapping {
  /** Our field → provider field, in the order the provider input is built. */
  fields: Record<string, FieldMapping>;
  models?: readonly ModelRule[];
  /** Fixed provider fields (e.g. Vercel's `n: 1`). */
  defaults?: Record<string, unknown>;
  /** 'merge': unknown extra parameters (`params.extra`) go into the provider input (free-input providers); 'drop': ignored. */
  extra: 'merge' | 'drop';
  /** Our fields that must be present (non-empty). */
  required?: readonly string[];
}

/** The model rule that applies to a provider model id, if any. */
export function modelRuleFor(mapping: ParamMapping, providerModelId: string): ModelRule | undefined {
  return mapping.models?.find((m) => m.match.test(providerModelId));
}

/** Rounds up to the next allowed value; above the largest, the largest. */
export function roundUpToAllowed(value: number, allowed: readonly number[]): number {
  const sorted = [...allowed].sort((a, b) => a - b);
  return sorted.find((a) => a >= value) ?? sorted[sorted.length - 1];
}

const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/** Applies a mapping table to our parameters; throws ProviderError('bad_request') for unusable input. */
export function mapParams(mapping: ParamMapping, params: Record<string, unknown>, providerModelId: string, provider: string): Record<string, unknown> {
  const ctx: MappingContext = { params, providerModelId };
  const model = modelRuleFor(mapping, providerModelId);
  for (const field of mapping.required ?? []) {
    if (!present(params[field])) throw new ProviderError(ProviderErrorKind.BadRequest, `${field} is required`);
  }
  const out: Record<string, unknown> = {};
  // Extras first, so a mapped field always wins over a same-named extra.
  const extra = params.extra;
  if (mapping.extra === 'merge' && extra && typeof extra === 'object' && !Array.isArray(extra)) Object.assign(out, extra);
  Object.assign(out, mapping.defaults ?? {}, model?.defaults ?? {});

  const fields = { ...mapping.fields, ...(model?.fields ?? {}) };
  for (const [ours, rule] of Object.entries(fields)) {
    let value = params[ours];
    if (!present(value)) continue;
    if (rule === null) continue;
    if (rule === 'unsupported') throw new ProviderError(ProviderErrorKind.BadRequest, `${ours} is not supported by ${provider} for ${providerModelId}`);
    if (ours === 'duration' && model?.durations && typeof value === 'number') value = roundUpToAllowed(value, model.durations);
    const mapped = rule.transform ? rule.transform(value, ctx) : value;
    if (mapped !== undefined) out[rule.to] = mapped;
  }
  return out;
}

// Transforms shared by several tables.
export const toInt = (v: unknown) => (typeof v === 'number' ? Math.round(v) : v);
export const toBool = (v: unknown) => v === true || v === 'true';
/** fal's Veo-style duration strings: 8 → "8s". */
export const secondsSuffix = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)}s` : v);
/** Durations some fal models take as enum strings: 5 → "5". */
export const asString = (v: unknown) => (typeof v === 'number' ? String(Math.round(v)) : v);
