/**
 * The shape of the catalog files (`catalog.json`, `engines.json`) as zod schemas: field names, types,
 * ranges, patterns and which fields are required. The same schemas are published as JSON Schema
 * (`catalog.schema.json`, `engines.schema.json`, referenced by each file's `$schema`) so an editor
 * checks and completes a catalog while it is written; `catalog-schema.spec.ts` fails when the
 * published files are not what these schemas generate (`pnpm --filter @pipevideo/router catalog:schema`
 * rewrites them). Rules that relate fields to each other (a route priced only at the model's
 * resolutions, durations and their ends, …) are code: `video-catalog.ts`, `engine-catalog.ts`.
 */
import { z } from 'zod';

const text = (what: string) => z.string({ error: 'must be a non-empty string' }).regex(/\S/, 'must be a non-empty string').describe(what);
const freeText = (what: string) => z.string({ error: 'must be a string' }).describe(what);
const finite = (what: string) => z.number({ error: 'must be a finite number' }).describe(what);
const flag = (what: string) => z.boolean({ error: 'must be a boolean' }).describe(what);

/** A non-empty list of distinct strings, each matching `pattern` when given. */
function stringSet(what: string, pattern?: { re: RegExp; name: string }) {
  const item = pattern
    ? z.string({ error: 'must contain only non-empty strings' }).regex(pattern.re, { error: (iss) => `"${String(iss.input)}" is not a valid ${pattern.name}` })
    : z.string({ error: 'must contain only non-empty strings' }).regex(/\S/, 'must contain only non-empty strings');
  return z
    .array(item, { error: 'must be a non-empty array' })
    .min(1, 'must be a non-empty array')
    .refine((a) => new Set(a).size === a.length, 'must not repeat a value')
    .describe(what);
}

export const MODEL_SLUG = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;
export const ASPECT_RATIO = /^\d+:\d+$/;
export const RESOLUTION = /^\d+p$|^\dk$/;
export const VIDEO_PROVIDER_SLUGS = ['fal', 'replicate', 'vercel-gateway'] as const;
export const OPTION_TYPES = ['boolean', 'integer', 'number', 'string', 'enum', 'media_url'] as const;
export const ENGINE_SLUGS = ['hyperframes', 'lottie', 'auto'] as const;
export const ENGINE_PROVIDER_SLUGS = ['framerate'] as const;

const capabilities = z.strictObject(
  {
    text_to_video: flag('Text-to-video (prompt only).'),
    image_to_video: flag('Image-to-video (an input image).'),
    audio: flag('Generates synchronised audio.'),
  },
  { error: 'must be an object {text_to_video, image_to_video, audio}' },
);

const resolutionPrice = z.strictObject(
  {
    resolution: text('A resolution of the model, e.g. "720p".'),
    per_request_cents: finite('Flat fee per generation (cents).').min(0, 'must be >= 0'),
    per_second_cents: finite('Price per second of video (cents).').min(0, 'must be >= 0'),
  },
  { error: 'must be an object' },
);

const route = z.strictObject(
  {
    id: text('Route id `<model slug>@<provider>`: breakers, metrics and generations name routes by it.'),
    provider: z.enum(VIDEO_PROVIDER_SLUGS, { error: (iss) => `"${String(iss.input)}" is not a video provider (${VIDEO_PROVIDER_SLUGS.join(', ')}; framerate serves engines, see engines.json)` }).describe('The provider serving this route.'),
    provider_model_id: text("The provider's model id (text-to-video, and image-to-video unless overridden)."),
    image_to_video_model_id: text("The provider's model id for image-to-video when it is another endpoint.").optional(),
    user_selectable: flag('May a customer name this provider in `provider.order`? Always false for vercel-gateway (internal).'),
    audio_multiplier: finite('Multiplies the per-second price when audio is on. Required (>= 1) on routes of models with audio.').min(1, 'must be >= 1').optional(),
    capabilities: z
      .strictObject(
        { text_to_video: flag('').optional(), image_to_video: flag('').optional(), audio: flag('').optional() },
        { error: 'must be an object' },
      )
      .describe("Restricts the model's capabilities on this route (can only turn them off).")
      .optional(),
    max_duration: finite("Restricts the model's max_duration on this route.").positive('must be > 0').optional(),
    aspect_ratios: stringSet("Restricts the model's aspect ratios on this route.", { re: ASPECT_RATIO, name: 'aspect ratio (W:H)' }).optional(),
    pricing: z
      .array(resolutionPrice, { error: 'must be a non-empty array of {resolution, per_request_cents, per_second_cents}' })
      .min(1, 'must be a non-empty array of {resolution, per_request_cents, per_second_cents}')
      .describe('One price per resolution this route offers.'),
  },
  { error: 'must be an object' },
);

const optionPrice = z
  .union([
    z.literal('none'),
    z.strictObject({
      per_request_cents: finite('Flat fee added (cents).').min(0, 'must be >= 0').optional(),
      per_second_multiplier: finite('Multiplies the per-second price.').min(1, 'must be >= 1').optional(),
    }),
  ], { error: 'is required: "none", {"per_request_cents": n} or {"per_second_multiplier": m} (every option declares its price effect)' })
  .describe('The price effect when the option is sent (with any value but false).');

export const OPTION_NAME = /^[a-z][a-z0-9_]{0,63}$/;

const modelOption = z.strictObject(
  {
    type: z.enum(OPTION_TYPES, { error: (iss) => `must be one of ${OPTION_TYPES.join(', ')} (got ${JSON.stringify(iss.input)})` }).describe('Value type of the option.'),
    description: freeText('Shown in GET /v1/models.').optional(),
    minimum: finite('Smallest value (integer, number).').optional(),
    maximum: finite('Largest value (integer, number).').optional(),
    max_length: finite('Longest value (string; required there).').optional(),
    values: z.array(z.string(), { error: 'must be a non-empty array of strings' }).min(1, 'must be a non-empty array of strings').describe('The allowed values (enum; required there).').optional(),
    requires_image: flag('Only meaningful with an input image (e.g. an end frame).').optional(),
    providers: z.array(z.string(), { error: 'must be a non-empty array of provider slugs' }).min(1, 'must be a non-empty array of provider slugs').describe('Providers whose routes take the option (default: every route).').optional(),
    price: optionPrice,
  },
  { error: 'must be an object {type, price, …}' },
);

const videoModel = z.strictObject(
  {
    slug: text('Public model id, `vendor/model` in lower case.').regex(MODEL_SLUG, 'must look like "vendor/model" (lowercase)'),
    name: text('Display name.'),
    description: freeText('Shown in GET /v1/models.'),
    default_duration: finite('Duration (s) when the request names none; one of durations.').positive('must be > 0'),
    min_duration: finite('The smallest of durations.').positive('must be > 0'),
    max_duration: finite('The largest of durations.').positive('must be > 0'),
    durations: z
      .array(z.number().positive(), { error: 'must be a non-empty array of positive numbers (the exact durations the providers make)' })
      .min(1, 'must be a non-empty array of positive numbers (the exact durations the providers make)')
      .refine((a) => new Set(a).size === a.length, 'must not repeat a value')
      .describe('The exact durations (s) the providers make (no ranges: what is priced is what is made).'),
    aspect_ratios: stringSet('Aspect ratios, `W:H`.', { re: ASPECT_RATIO, name: 'aspect ratio (W:H)' }),
    resolutions: stringSet('Resolutions, e.g. 720p, 1080p, 4k.', { re: RESOLUTION, name: 'resolution (e.g. 720p)' }),
    default_resolution: text('Resolution when the request names none (default: the first of resolutions).').optional(),
    capabilities,
    options: z
      .record(z.string().regex(OPTION_NAME, 'option names are lower-case letters, digits and _'), modelOption, { error: 'must be an object of option definitions' })
      .describe('Model-specific parameters a request may send in `options`, each with its type and price effect.')
      .optional(),
    routes: z.array(route, { error: 'must be a non-empty array' }).min(1, 'must be a non-empty array').describe('The provider routes serving the model.'),
  },
  { error: 'must be an object' },
);

/** `catalog.json`: the video models, their routes and prices. */
export const videoCatalogFile = z
  .strictObject(
    {
      $schema: z.string().describe('The JSON Schema of this file (for editors).').optional(),
      version: z.literal(1).describe('Format version.').optional(),
      models: z.array(videoModel, { error: 'must be a non-empty array' }).min(1, 'must be a non-empty array').describe('The video models in listing order.'),
    },
    { error: 'must be an object with a "models" array' },
  )
  .describe('Pipevideo video catalog (apps/router/src/catalog/catalog.json): models, provider routes, prices.');
export type VideoCatalogFile = z.infer<typeof videoCatalogFile>;
export type VideoModelEntry = VideoCatalogFile['models'][number];
export type RouteEntry = VideoModelEntry['routes'][number];
export type ModelOptionEntry = z.infer<typeof modelOption>;

const orchestrationModel = z.strictObject(
  {
    id: text('Orchestration model id, `vendor/model`.').regex(MODEL_SLUG, 'must look like "vendor/model"'),
    name: text('Display name.'),
    pricing: z.strictObject(
      {
        input_per_million_usd: finite('USD per million input tokens.').min(0, 'must be >= 0'),
        output_per_million_usd: finite('USD per million output tokens.').min(0, 'must be >= 0'),
        input_per_million_cents: finite('The same in cents (= usd × 100).').min(0, 'must be >= 0'),
        output_per_million_cents: finite('The same in cents (= usd × 100).').min(0, 'must be >= 0'),
      },
      { error: 'must be an object' },
    ),
  },
  { error: 'must be an object' },
);

const engine = z.strictObject(
  {
    slug: z.enum(ENGINE_SLUGS, { error: (iss) => `"${String(iss.input)}" is not an engine (engines: ${ENGINE_SLUGS.join(', ')})` }).describe('Engine id.'),
    name: text('Display name.'),
    description: freeText('Shown in GET /v1/engines.'),
    default_provider: text('Provider used when the request has no provider.order; one of providers.').optional(),
    providers: stringSet('Engine providers (framerate).').optional(),
    models: stringSet('Orchestration model ids this engine accepts (each in orchestration_models).').optional(),
    output_media_type: text('Media type of the result (default video/mp4).').optional(),
    artifact_media_type: text('Media type of the artifact, if any.').nullable().optional(),
    auto: z
      .strictObject(
        {
          rules: z.array(
            z.strictObject({ engine: z.string().describe('A concrete engine.'), keywords: stringSet('Whole words or phrases searched in the prompt (case-insensitive).') }, { error: 'must be an object {engine, keywords}' }),
            { error: 'must be an array' },
          ),
          fallback: z.string({ error: 'must be a concrete engine' }).describe('The engine when no rule matches.'),
        },
        { error: 'must be {rules: [{engine, keywords}], fallback}' },
      )
      .describe('Only for the auto engine: how the concrete engine is chosen.')
      .optional(),
  },
  { error: 'must be an object' },
);

/** `engines.json`: the Responses-API engines and orchestration models with their token rates. */
export const engineCatalogFile = z
  .strictObject(
    {
      $schema: z.string().describe('The JSON Schema of this file (for editors).').optional(),
      version: z.literal(1).describe('Format version.').optional(),
      default_engine: z.string().describe('The engine when a request names none (a concrete engine).').optional(),
      orchestration_models: z.array(orchestrationModel, { error: 'must be a non-empty array' }).min(1, 'must be a non-empty array'),
      engines: z.array(engine, { error: 'must be a non-empty array' }).min(1, 'must be a non-empty array'),
    },
    { error: 'must be an object' },
  )
  .describe('Pipevideo engine catalog (apps/router/src/catalog/engines.json): Responses-API engines and token rates.');
export type EngineCatalogFile = z.infer<typeof engineCatalogFile>;
export type EngineEntry = EngineCatalogFile['engines'][number];

/** The published JSON Schemas, as `catalog-schema.spec.ts` expects them on disk (file name → content). */
export function catalogJsonSchemas(): Record<string, string> {
  const render = (s: z.ZodType) => `${JSON.stringify(z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`;
  return { 'catalog.schema.json': render(videoCatalogFile), 'engines.schema.json': render(engineCatalogFile) };
}

/**
 * Problems of a zod parse as `path: field message` lines, in the catalog's own path style
 * (`models[0] (google/veo-3.1).routes[1] (google/veo-3.1@replicate): provider_model_id is required`).
 */
export function describeIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = [...issue.path];
    const at = (upTo: number) => {
      let out = '';
      let node: any = raw;
      for (let k = 0; k < upTo; k++) {
        const seg = path[k];
        out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
        node = node?.[seg as any];
        const label = typeof seg === 'number' && node && typeof node === 'object' ? (node.slug ?? node.id) : undefined;
        if (typeof label === 'string') out += ` (${label})`;
      }
      return out || 'root';
    };
    if (issue.code === 'unrecognized_keys') {
      return `${at(path.length)}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    // The message reads after the field's name: `pricing must be a non-empty array`.
    let fieldAt = path.length;
    while (fieldAt > 0 && typeof path[fieldAt - 1] === 'number') fieldAt--;
    const field = fieldAt > 0 ? String(path[fieldAt - 1]) : '';
    const parent = at(Math.max(0, fieldAt - 1));
    const value = path.reduce<any>((n, seg) => n?.[seg as any], raw);
    const missing = issue.code === 'invalid_type' && value === undefined && fieldAt === path.length;
    const message = missing ? 'is required' : issue.message;
    const item = fieldAt < path.length ? `${path.slice(fieldAt).map((s) => `[${String(s)}]`).join('')}` : '';
    return field ? `${parent}: ${field}${item} ${message}` : `${parent}: ${message}`;
  });
}
