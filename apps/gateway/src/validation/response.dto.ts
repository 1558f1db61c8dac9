import type { ResponseRequest } from '@pipevideo/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow, ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { DEFAULT_MAX_OUTPUT_TOKENS_LIMIT } from '../gateway.config';
import type { FieldIssue } from '../http/api-error';
import { mediaUrlProblem } from './media-url';
import { PROVIDER_SLUG_PATTERN, ROUTE_SORTS } from './provider-prefs.dto';
import { ASPECT_RATIO_PATTERN, MODEL_SLUG_MAX_LENGTH } from './video-generation.dto';
import { invalid, requireJsonObject, validateDto } from './validate';

export const INPUT_TEXT_MAX_LENGTH = 32_000;
export const INSTRUCTIONS_MAX_LENGTH = 32_000;
export const MAX_INPUT_ITEMS = 50;
export const MAX_CONTENT_PARTS = 20;
export const MAX_CANVAS_PX = 4096;
export const ENGINES = ['hyperframes', 'lottie', 'auto'] as const;

export class ResponsesProviderDto {
  @ApiPropertyOptional({ type: [String], example: ['framerate'], description: 'Provider slugs in preference order (default: framerate).' })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "framerate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @IsArray({ message: 'must be an array of provider slugs, e.g. ["framerate"]' })
  order?: string[];

  @ApiPropertyOptional({ type: [String], example: ['framerate'], description: 'Only these providers may serve the request (the engine must have one of them).' })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "framerate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @ArrayMinSize(1, { message: 'must name at least one provider (or be left out)' })
  @IsArray({ message: 'must be an array of provider slugs, e.g. ["framerate"]' })
  only?: string[];

  @ApiPropertyOptional({ type: [String], description: 'These providers never serve the request.' })
  @IsOptional()
  @Matches(PROVIDER_SLUG_PATTERN, { each: true, message: 'must hold provider slugs such as "framerate"' })
  @IsString({ each: true, message: 'must be an array of provider slug strings' })
  @ArrayMaxSize(10, { message: 'may name at most 10 providers' })
  @IsArray({ message: 'must be an array of provider slugs' })
  ignore?: string[];

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'false: only the first eligible provider is tried (each engine has one provider today, so this changes nothing yet).' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  allow_fallbacks?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'true: only providers that honour every parameter sent (every engine provider honours all of them today).' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  require_parameters?: boolean;

  @ApiPropertyOptional({ enum: ROUTE_SORTS, default: 'price', description: 'Provider ordering, as in the video API (one provider per engine today).' })
  @IsOptional()
  @IsIn(ROUTE_SORTS, { message: `must be one of ${ROUTE_SORTS.join(', ')}` })
  sort?: (typeof ROUTE_SORTS)[number];
}

/** OpenAPI description of one content part (validated by hand: it is a tagged union). */
const CONTENT_PART_SCHEMA: any = {
  oneOf: [
    { type: 'object', required: ['type', 'text'], properties: { type: { type: 'string', enum: ['input_text'] }, text: { type: 'string' } } },
    {
      type: 'object',
      required: ['type', 'image_url'],
      properties: {
        type: { type: 'string', enum: ['input_image'] },
        image_url: { oneOf: [{ type: 'string' }, { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }], description: 'https URL or data:image/…;base64 URI' },
        detail: { type: 'string' },
      },
    },
    {
      type: 'object',
      required: ['type', 'video_url'],
      properties: {
        type: { type: 'string', enum: ['input_video'] },
        video_url: { oneOf: [{ type: 'string' }, { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }], description: 'https URL or data:video/…;base64 URI' },
      },
    },
  ],
};

/** `POST /v1/responses` body (spec 002). */
export class CreateResponseDto {
  @ApiProperty({ description: 'Orchestration LLM id (not an engine slug); see GET /v1/engines.', example: 'moonshotai/kimi-k2.5', maxLength: MODEL_SLUG_MAX_LENGTH })
  @MaxLength(MODEL_SLUG_MAX_LENGTH, { message: `must be at most ${MODEL_SLUG_MAX_LENGTH} characters` })
  @IsNotEmpty({ message: 'is required: an orchestration model id such as "moonshotai/kimi-k2.5"' })
  @IsString({ message: 'is required: an orchestration model id such as "moonshotai/kimi-k2.5"' })
  model!: string;

  @ApiProperty({
    description: 'Prompt text, or message items whose content holds input_text, input_image and input_video parts.',
    oneOf: [
      { type: 'string', example: 'A cat walking on a beach at sunset' },
      {
        type: 'array',
        maxItems: MAX_INPUT_ITEMS,
        items: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['message'] },
            role: { type: 'string', enum: ['user', 'system', 'developer', 'assistant'] },
            content: { oneOf: [{ type: 'string' }, { type: 'array', items: CONTENT_PART_SCHEMA }] },
          },
          required: ['content'],
        },
      },
    ],
  })
  @Allow() // validated by inputIssues (a union class-validator cannot express)
  input!: unknown;

  @ApiPropertyOptional({ description: 'System-level guidance, separate from input.', maxLength: INSTRUCTIONS_MAX_LENGTH })
  @IsOptional()
  @MaxLength(INSTRUCTIONS_MAX_LENGTH, { message: `must be at most ${INSTRUCTIONS_MAX_LENGTH} characters` })
  @IsString({ message: 'must be a string' })
  instructions?: string;

  @ApiPropertyOptional({ enum: ENGINES, default: 'hyperframes' })
  @IsOptional()
  @IsIn(ENGINES as unknown as string[], { message: 'must be one of hyperframes, lottie, auto' })
  engine?: (typeof ENGINES)[number];

  @ApiPropertyOptional({ description: "Improve the prompt with the engine's prompting guide first." })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  expand_prompt?: boolean;

  @ApiPropertyOptional({ description: 'Canvas width in pixels (default 1080).', minimum: 1, maximum: MAX_CANVAS_PX })
  @IsOptional()
  @Max(MAX_CANVAS_PX, { message: `must be at most ${MAX_CANVAS_PX} pixels` })
  @Min(1, { message: 'must be a positive integer number of pixels' })
  @IsInt({ message: 'must be a positive integer number of pixels' })
  width?: number;

  @ApiPropertyOptional({ description: 'Canvas height in pixels (default 1920).', minimum: 1, maximum: MAX_CANVAS_PX })
  @IsOptional()
  @Max(MAX_CANVAS_PX, { message: `must be at most ${MAX_CANVAS_PX} pixels` })
  @Min(1, { message: 'must be a positive integer number of pixels' })
  @IsInt({ message: 'must be a positive integer number of pixels' })
  height?: number;

  @ApiPropertyOptional({ description: 'Aspect ratio hint, "W:H".', example: '16:9' })
  @IsOptional()
  @Matches(ASPECT_RATIO_PATTERN, { message: 'must look like "16:9" (width:height, each 1–99)' })
  @IsString({ message: 'must be a string like "16:9"' })
  aspectRatio?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description:
      "Most output tokens the orchestration model may write (OpenAI's max_output_tokens). Default 20000 (the deployment's PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS); " +
      `at most the deployment's limit (PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS_LIMIT, default ${DEFAULT_MAX_OUTPUT_TOKENS_LIMIT}). ` +
      'The credit hold is the estimated input tokens plus this cap at the model rates; usage above the hold is still charged.',
    minimum: 1,
    maximum: DEFAULT_MAX_OUTPUT_TOKENS_LIMIT,
    example: 20000,
  })
  @IsOptional()
  @Min(1, { message: 'must be a positive integer number of tokens' })
  @IsInt({ message: 'must be a positive integer number of tokens' })
  max_output_tokens?: number;

  @ApiPropertyOptional({ type: 'boolean', description: "true: the answer is text/event-stream in OpenAI's Responses streaming shape (response.created, response.in_progress, response.completed / response.failed) instead of the JSON object. Not with Idempotency-Key." })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  stream?: boolean;

  @ApiPropertyOptional({ type: () => ResponsesProviderDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponsesProviderDto)
  @IsObject({ message: 'must be an object such as {"order": ["framerate"]}' })
  provider?: ResponsesProviderDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Up to 16 string pairs, kept with the response.' })
  @IsOptional()
  @IsObject({ message: 'must be an object of string values' })
  metadata?: Record<string, string>;
}

/** OpenAI request fields we accept and ignore (the SDK sends some by default). */
const IGNORED_OPENAI_FIELDS = new Set(['store', 'temperature', 'top_p', 'user', 'parallel_tool_calls', 'truncation', 'service_tier', 'background', 'include', 'previous_response_id', 'reasoning', 'text', 'tools', 'tool_choice']);

function checkMedia(value: unknown, field: string, kind: 'image' | 'video', issues: FieldIssue[]): string | undefined {
  const url = value && typeof value === 'object' && !Array.isArray(value) ? (value as { url?: unknown }).url : value;
  const at = value && typeof value === 'object' && !Array.isArray(value) ? `${field}.url` : field;
  const problem = mediaUrlProblem(url, kind);
  if (problem) {
    issues.push({ field: at, message: `${at} ${problem}` });
    return undefined;
  }
  return url as string;
}

function checkContentPart(part: unknown, at: string, issues: FieldIssue[]) {
  if (!part || typeof part !== 'object' || Array.isArray(part)) return issues.push({ field: at, message: `${at} must be an object with a type (input_text, input_image or input_video)` });
  const p = part as Record<string, unknown>;
  switch (p.type) {
    case 'input_text':
      if (typeof p.text !== 'string' || !p.text.trim()) issues.push({ field: `${at}.text`, message: `${at}.text must be a non-empty string` });
      else if (p.text.length > INPUT_TEXT_MAX_LENGTH) issues.push({ field: `${at}.text`, message: `${at}.text must be at most ${INPUT_TEXT_MAX_LENGTH} characters` });
      return;
    case 'input_image':
      if (p.image_url === undefined) return issues.push({ field: `${at}.image_url`, message: `${at}.image_url is required: an https URL or a data:image/…;base64 URI` });
      checkMedia(p.image_url, `${at}.image_url`, 'image', issues);
      return;
    case 'input_video':
      if (p.video_url === undefined) return issues.push({ field: `${at}.video_url`, message: `${at}.video_url is required: an https URL or a data:video/…;base64 URI` });
      checkMedia(p.video_url, `${at}.video_url`, 'video', issues);
      return;
    default:
      issues.push({ field: `${at}.type`, message: `${at}.type must be input_text, input_image or input_video` });
  }
}

/** `input`: a non-empty prompt string, or message items with string or typed-part content. */
export function inputIssues(input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (typeof input === 'string') {
    if (!input.trim()) issues.push({ field: 'input', message: 'input must not be blank' });
    else if (input.length > INPUT_TEXT_MAX_LENGTH) issues.push({ field: 'input', message: `input must be at most ${INPUT_TEXT_MAX_LENGTH} characters` });
    return issues;
  }
  if (!Array.isArray(input)) return [{ field: 'input', message: 'input is required: a prompt string or an array of input message items' }];
  if (!input.length) return [{ field: 'input', message: 'input must hold at least one message item' }];
  if (input.length > MAX_INPUT_ITEMS) return [{ field: 'input', message: `input may hold at most ${MAX_INPUT_ITEMS} items` }];
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) return issues.push({ field: at, message: `${at} must be a message object with role and content` });
    const it = item as Record<string, unknown>;
    if (it.type !== undefined && it.type !== 'message') issues.push({ field: `${at}.type`, message: `${at}.type must be "message"` });
    if (it.role !== undefined && !['user', 'system', 'developer', 'assistant'].includes(it.role as string))
      issues.push({ field: `${at}.role`, message: `${at}.role must be user, system, developer or assistant` });
    if (typeof it.content === 'string') {
      if (!it.content.trim()) issues.push({ field: `${at}.content`, message: `${at}.content must not be blank` });
      else if (it.content.length > INPUT_TEXT_MAX_LENGTH) issues.push({ field: `${at}.content`, message: `${at}.content must be at most ${INPUT_TEXT_MAX_LENGTH} characters` });
    } else if (Array.isArray(it.content)) {
      if (!it.content.length) issues.push({ field: `${at}.content`, message: `${at}.content must hold at least one content part` });
      else if (it.content.length > MAX_CONTENT_PARTS) issues.push({ field: `${at}.content`, message: `${at}.content may hold at most ${MAX_CONTENT_PARTS} parts` });
      else it.content.forEach((part, j) => checkContentPart(part, `${at}.content[${j}]`, issues));
    } else issues.push({ field: `${at}.content`, message: `${at}.content must be a string or an array of content parts` });
  });
  return issues;
}

/** The router's `responseCreate` request (shared contract). */
export type ResponseRequestPayload = ResponseRequest;

/** Deployment limits the body is checked against (configured, so not in the decorators). */
export interface ResponseBodyLimits {
  /** Largest `max_output_tokens` accepted. */
  maxOutputTokens: number;
}

/** Validates a spec 002 body into the router's `responseCreate` request. */
export function parseResponseBody(body: unknown, limits: ResponseBodyLimits = { maxOutputTokens: DEFAULT_MAX_OUTPUT_TOKENS_LIMIT }): ResponseRequestPayload {
  const raw = { ...requireJsonObject(body) };
  // stream: true is answered as Server-Sent Events by the controller; the request itself is the same.
  if (raw.stream !== undefined && typeof raw.stream !== 'boolean') throw invalid([{ field: 'stream', message: 'stream must be true or false' }]);
  delete raw.stream;
  for (const k of Object.keys(raw)) if (IGNORED_OPENAI_FIELDS.has(k)) delete raw[k];
  const issues = 'input' in raw ? inputIssues(raw.input) : [{ field: 'input', message: 'input is required: a prompt string or an array of input message items' }];
  const { input, ...rest } = raw;
  let dto: CreateResponseDto | undefined;
  try {
    dto = validateDto(CreateResponseDto, { ...rest, input: 'placeholder' });
  } catch (err: any) {
    // A refusal without field issues (a body class-transformer cannot map) is answered as it is.
    if (!err?.extra?.details?.length) throw err;
    issues.unshift(...err.extra.details);
  }
  if (dto?.metadata !== undefined) {
    const entries = Object.entries(dto.metadata);
    if (entries.length > 16) issues.push({ field: 'metadata', message: 'metadata may hold at most 16 keys' });
    for (const [k, v] of entries.slice(0, 16))
      if (k.length > 64 || typeof v !== 'string' || v.length > 512) issues.push({ field: `metadata.${k.slice(0, 64)}`, message: `metadata values must be strings of at most 512 characters, keys at most 64` });
  }
  if (dto?.max_output_tokens !== undefined && dto.max_output_tokens > limits.maxOutputTokens)
    issues.push({ field: 'max_output_tokens', message: `max_output_tokens must be at most ${limits.maxOutputTokens} tokens` });
  if (issues.length) throw invalid(issues);
  const d = dto!;
  // Input passes through as the customer shaped it (`image_url` as a string or `{url}`): the providers read both.
  const out: ResponseRequestPayload = { model: d.model, input: input as ResponseRequestPayload['input'] };
  if (d.instructions !== undefined) out.instructions = d.instructions;
  if (d.engine !== undefined) out.engine = d.engine;
  if (d.expand_prompt !== undefined) out.expand_prompt = d.expand_prompt;
  if (d.width !== undefined) out.width = d.width;
  if (d.height !== undefined) out.height = d.height;
  if (d.aspectRatio !== undefined) out.aspectRatio = d.aspectRatio;
  if (d.max_output_tokens !== undefined) out.max_output_tokens = d.max_output_tokens;
  if (d.provider !== undefined) {
    const { order, only, ignore, allow_fallbacks, require_parameters, sort } = d.provider;
    out.provider = Object.fromEntries(Object.entries({ order, only, ignore, allow_fallbacks, require_parameters, sort }).filter(([, v]) => v !== undefined));
  }
  if (d.metadata !== undefined) out.metadata = d.metadata;
  return out;
}
