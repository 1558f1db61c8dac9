import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayNotEmpty, IsArray, IsBoolean, IsNotEmpty, IsNumber, IsObject, IsOptional, IsPositive, IsString, Matches, Max, MaxLength, ValidateNested,
} from 'class-validator';
import type { VideoRequest } from '@pipevideo/contracts';
import type { FieldIssue } from '../http/api-error';
import { DATA_URI_MAX_BYTES, IsMediaUrl } from './media-url';
import { ProviderPrefsDto } from './provider-prefs.dto';
import { invalid, requireJsonObject, validateDto } from './validate';

export const PROMPT_MAX_LENGTH = 4000;
export const MODEL_SLUG_MAX_LENGTH = 200;
export const MAX_MODELS = 10;
export const MAX_DURATION_SECONDS = 600;
/** "W:H", each a whole number 1–99, zero-padded or not ("09:16"); "0:0" is no shape. */
export const ASPECT_RATIO_PATTERN = /^(?:0?[1-9]|[1-9]\d):(?:0?[1-9]|[1-9]\d)$/;
export const RESOLUTION_PATTERN = /^(\d{3,4}p|[1-8]k)$/i;
export const MAX_OPTIONS = 32;
export const MAX_OPTIONS_BYTES = 16 * 1024;

/**
 * `POST /v1/video/generations` body (spec 004). A field this API does not define is a 400 naming it:
 * anything forwarded to a provider must be priced, so model-specific parameters go through `options`,
 * whose keys the catalog allow-lists per model (GET /v1/models `options`), each with its price effect.
 */
export class CreateVideoGenerationDto {
  @ApiPropertyOptional({ description: 'Pipevideo model slug (see GET /v1/models). Either model or models is required.', example: 'google/veo-3.1', maxLength: MODEL_SLUG_MAX_LENGTH })
  @IsOptional()
  @MaxLength(MODEL_SLUG_MAX_LENGTH, { message: `must be at most ${MODEL_SLUG_MAX_LENGTH} characters` })
  @IsNotEmpty({ message: 'must be a non-empty model slug such as "google/veo-3.1"' })
  @IsString({ message: 'must be a model slug string such as "google/veo-3.1"' })
  model?: string;

  @ApiPropertyOptional({ type: [String], description: 'Model slugs in priority order; the next one is tried when one fails. Use instead of model.', example: ['google/veo-3.1', 'kling/3.0-pro'], maxItems: MAX_MODELS })
  @IsOptional()
  @MaxLength(MODEL_SLUG_MAX_LENGTH, { each: true, message: `must hold slugs of at most ${MODEL_SLUG_MAX_LENGTH} characters` })
  @IsNotEmpty({ each: true, message: 'must not hold empty strings' })
  @IsString({ each: true, message: 'must be an array of model slug strings' })
  @ArrayMaxSize(MAX_MODELS, { message: `may list at most ${MAX_MODELS} models` })
  @ArrayNotEmpty({ message: 'must be a non-empty array of model slugs' })
  @IsArray({ message: 'must be an array of model slugs, e.g. ["google/veo-3.1", "wan/2.5"]' })
  models?: string[];

  @ApiProperty({ description: 'Text description of the video to generate.', example: 'A cat walking on a beach at sunset', maxLength: PROMPT_MAX_LENGTH })
  @MaxLength(PROMPT_MAX_LENGTH, { message: `must be at most ${PROMPT_MAX_LENGTH} characters` })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString({ message: 'is required: a non-empty text description of the video' })
  prompt!: string;

  @ApiPropertyOptional({ description: 'Video duration in seconds (model-specific; typically 5).', example: 5, minimum: 0, maximum: MAX_DURATION_SECONDS })
  @IsOptional()
  @Max(MAX_DURATION_SECONDS, { message: `must be at most ${MAX_DURATION_SECONDS} seconds` })
  @IsPositive({ message: 'must be a positive number of seconds' })
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a positive number of seconds' })
  duration?: number;

  @ApiPropertyOptional({ description: 'Output aspect ratio, "W:H" (e.g. "16:9", "9:16", "1:1"). Alias: aspect_ratio.', example: '16:9', pattern: '^(?:0?[1-9]|[1-9]\\d):(?:0?[1-9]|[1-9]\\d)$' })
  @IsOptional()
  @Matches(ASPECT_RATIO_PATTERN, { message: 'must look like "16:9" (width:height, each 1–99)' })
  @IsString({ message: 'must be a string like "16:9"' })
  aspectRatio?: string;

  @ApiPropertyOptional({ description: 'Output resolution, e.g. "720p", "1080p" or "4k". Routes matching it are preferred.', example: '1080p', pattern: '^(\\d{3,4}p|[1-8]k)$' })
  @IsOptional()
  @Matches(RESOLUTION_PATTERN, { message: 'must look like "720p", "1080p" or "4k"' })
  @IsString({ message: 'must be a string like "1080p"' })
  resolution?: string;

  @ApiPropertyOptional({ description: `Image for image-to-video models: an https URL or a data:image/…;base64 URI (≤ ${DATA_URI_MAX_BYTES / 1024} KiB decoded). Alias: image_url.`, example: 'https://example.com/cat.png' })
  @IsOptional()
  @IsMediaUrl('image')
  imageUrl?: string;

  @ApiPropertyOptional({ description: 'Generate audio (typically 1.5× the cost). Alias: audio.', example: false })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  withAudio?: boolean;

  @ApiPropertyOptional({ description: 'Alias of withAudio.' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  audio?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description: `Model-specific options, e.g. {"negative_prompt": "blur", "seed": 42}. Only the keys GET /v1/models lists under the model's \`options\` are accepted (each with its type and price effect); at most ${MAX_OPTIONS} keys.`,
    example: { seed: 42 },
  })
  @IsOptional()
  @IsObject({ message: 'must be an object of model options such as {"seed": 42}; see GET /v1/models for each model\'s options' })
  options?: Record<string, unknown>;

  @ApiPropertyOptional({ type: () => ProviderPrefsDto, description: 'Provider routing preferences. When omitted the lowest-price eligible route is used.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ProviderPrefsDto)
  @IsObject({ message: 'must be an object such as {"order": ["fal"]}' })
  provider?: ProviderPrefsDto;
}

const KNOWN_FIELDS = new Set(['model', 'models', 'prompt', 'duration', 'aspectRatio', 'resolution', 'imageUrl', 'withAudio', 'audio', 'provider', 'options']);
/** snake_case spellings customers send (the providers' own names), normalised to ours. */
const ALIASES: Record<string, string> = { aspect_ratio: 'aspectRatio', image_url: 'imageUrl', with_audio: 'withAudio' };
const OPTION_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Validates and normalises a spec 004 body into the router's VideoRequest: `model` → `models`,
 * `audio` merged into `withAudio`, snake_case aliases merged. Unknown fields are refused here; the
 * keys and values of `options` are checked against the catalog by the router, which owns it.
 */
export function parseVideoGenerationBody(body: unknown): VideoRequest {
  const raw = { ...requireJsonObject(body) };
  const issues: FieldIssue[] = [];
  for (const [alias, name] of Object.entries(ALIASES)) {
    if (!(alias in raw)) continue;
    if (name in raw && JSON.stringify(raw[name]) !== JSON.stringify(raw[alias])) issues.push({ field: alias, message: `${alias} conflicts with ${name}; send only one of them` });
    else raw[name] = raw[alias];
    delete raw[alias];
  }
  for (const k of Object.keys(raw)) {
    if (KNOWN_FIELDS.has(k)) continue;
    const name = k.slice(0, 64);
    issues.push({ field: name, message: `${name} is not a parameter of this API; model-specific parameters go in "options" (each model's allowed options: GET /v1/models)` });
  }
  if (raw.options !== undefined && raw.options !== null && typeof raw.options === 'object' && !Array.isArray(raw.options)) issues.push(...optionsIssues(raw.options as Record<string, unknown>));
  if (issues.length) throw invalid(issues);

  const dto = validateDto(CreateVideoGenerationDto, raw);
  if (dto.model === undefined && dto.models === undefined) throw invalid([{ field: 'model', message: 'model (a slug such as "google/veo-3.1") or models (a non-empty array of slugs) is required' }]);
  if (dto.model !== undefined && dto.models !== undefined) throw invalid([{ field: 'models', message: 'send either model or models, not both' }]);
  if (dto.withAudio !== undefined && dto.audio !== undefined && dto.withAudio !== dto.audio) throw invalid([{ field: 'audio', message: 'audio conflicts with withAudio; send only one of them' }]);

  const request: VideoRequest = { models: dto.models ?? [dto.model!], prompt: dto.prompt };
  if (dto.duration !== undefined) request.duration = dto.duration;
  if (dto.aspectRatio !== undefined) request.aspectRatio = dto.aspectRatio;
  if (dto.resolution !== undefined) request.resolution = dto.resolution.toLowerCase();
  if (dto.imageUrl !== undefined) request.imageUrl = dto.imageUrl;
  const audio = dto.withAudio ?? dto.audio;
  if (audio !== undefined) request.withAudio = audio;
  if (dto.provider !== undefined) {
    const p: NonNullable<VideoRequest['provider']> = {};
    if (dto.provider.order !== undefined) p.order = dto.provider.order;
    if (dto.provider.only !== undefined) p.only = dto.provider.only;
    if (dto.provider.ignore !== undefined) p.ignore = dto.provider.ignore;
    if (dto.provider.allow_fallbacks !== undefined) p.allow_fallbacks = dto.provider.allow_fallbacks;
    if (dto.provider.require_parameters !== undefined) p.require_parameters = dto.provider.require_parameters;
    if (dto.provider.sort !== undefined) p.sort = dto.provider.sort;
    if (dto.provider.max_price !== undefined) {
      p.max_price = {};
      if (dto.provider.max_price.per_request_cents !== undefined) p.max_price.per_request_cents = dto.provider.max_price.per_request_cents;
      if (dto.provider.max_price.per_second_cents !== undefined) p.max_price.per_second_cents = dto.provider.max_price.per_second_cents;
    }
    request.provider = p;
  }
  if (dto.options !== undefined && Object.keys(dto.options).length) request.options = dto.options;
  return request;
}


/** The shape of `options` (keys, scalar values, size); which keys a model takes is the router's call. */
function optionsIssues(options: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = Object.keys(options);
  if (keys.length > MAX_OPTIONS) return [{ field: 'options', message: `options may hold at most ${MAX_OPTIONS} keys` }];
  if (JSON.stringify(options).length > MAX_OPTIONS_BYTES) return [{ field: 'options', message: `options may total at most ${MAX_OPTIONS_BYTES / 1024} KB of JSON` }];
  for (const k of keys) {
    const field = `options.${k.slice(0, 64)}`;
    const v = options[k];
    if (!OPTION_KEY_PATTERN.test(k)) issues.push({ field, message: `${field} is not a valid option name (lower-case letters, digits and _)` });
    else if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) issues.push({ field, message: `${field} must be a string, a finite number or a boolean` });
  }
  return issues;
}
