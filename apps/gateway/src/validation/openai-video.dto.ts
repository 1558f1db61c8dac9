import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATA_URI_MAX_BYTES, ErrorCode, mediaUrlProblem, type VideoRequest } from '@pipevideo/contracts';
import { ApiError, type FieldIssue } from '../http/api-error';
import { UploadedFile } from '../http/multipart';
import { parseVideoGenerationBody, PROMPT_MAX_LENGTH } from './video-generation.dto';
import { invalid, requireJsonObject } from './validate';

/** `POST /v1/videos` body (OpenAI's VideoCreateParams), as JSON or multipart/form-data. */
export class CreateOpenAIVideoDto {
  @ApiProperty({ description: 'Pipevideo model slug (GET /v1/models). Required: there is no default model.', example: 'google/veo-3.1' })
  model!: string;

  @ApiProperty({ description: 'Text description of the video.', example: 'A cat walking on a beach at sunset', maxLength: PROMPT_MAX_LENGTH })
  prompt!: string;

  @ApiPropertyOptional({ description: "Clip length in seconds, as OpenAI's string (\"8\"); one of the model's `durations` (GET /v1/models), else 400. Default: the model's default duration.", example: '8' })
  seconds?: string;

  @ApiPropertyOptional({ description: 'Width x height, e.g. "1280x720": the short side is the resolution (720p), the ratio the aspect ratio (16:9). Must be one the model makes.', example: '1280x720' })
  size?: string;

  @ApiPropertyOptional({
    description: `Image for image-to-video: an uploaded file (multipart, png/jpeg/webp/gif, ≤ ${DATA_URI_MAX_BYTES / 1024} KiB), or {"image_url": "https://…" | "data:image/…;base64,…"} (also a bare URL string). file_id is not supported.`,
    oneOf: [{ type: 'string', format: 'binary' }, { type: 'string' }, { type: 'object', properties: { image_url: { type: 'string' } } }],
  })
  input_reference?: unknown;
}

const FIELDS = ['model', 'prompt', 'seconds', 'size', 'input_reference'];
/** OpenAI parameters we know but do not have: each gets a 400 saying what to do instead. */
const NOT_SUPPORTED: Record<string, string> = {
  'input_reference[file_id]': 'input_reference.file_id refers to the OpenAI Files API, which Pipevideo does not have: upload the image as input_reference or pass input_reference[image_url]',
  remix_video_id: 'remixing is not supported',
  characters: 'characters are not supported',
};
const IMAGE_TYPES = /^image\/(png|jpeg|webp|gif)$/;
/** Aspect ratios named as people name them (1920x816 is 21:9, not 40:17), matched within 2%. */
const NAMED_RATIOS = ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21', '4:5', '5:4'];

/** Our field names (in the generations API's messages) → OpenAI's. */
const OUR_NAME_TO_OPENAI: Record<string, string> = { duration: 'seconds', aspectRatio: 'size', resolution: 'size', imageUrl: 'input_reference', model: 'model', prompt: 'prompt' };

const issue = (field: string, message: string): FieldIssue => ({ field, message });

/** `size` "WxH" → our resolution (the short side: "720p") and aspect ratio ("16:9"). */
export function sizeToResolution(size: unknown): { resolution: string; aspectRatio: string } | FieldIssue {
  const m = typeof size === 'string' ? /^(\d{2,5})x(\d{2,5})$/.exec(size.trim()) : null;
  if (!m) return issue('size', 'size must be "WIDTHxHEIGHT" in pixels, e.g. "1280x720" or "720x1280"');
  const [w, h] = [Number(m[1]), Number(m[2])];
  const short = Math.min(w, h);
  if (short < 100 || short > 4320) return issue('size', `size ${size} has a short side of ${short} px; video models make 480–2160 px (e.g. "1280x720")`);
  const named = NAMED_RATIOS.find((r) => {
    const [a, b] = r.split(':').map(Number);
    return Math.abs(w / h / (a / b) - 1) < 0.02;
  });
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const g = gcd(w, h);
  const aspectRatio = named ?? `${w / g}:${h / g}`;
  if (!/^\d{1,2}:\d{1,2}$/.test(aspectRatio)) return issue('size', `size ${size} has an unusual aspect ratio; use one the model makes (GET /v1/models aspect_ratios), e.g. 1280x720 for 16:9`);
  return { resolution: `${short}p`, aspectRatio };
}

function secondsToDuration(seconds: unknown): number | FieldIssue {
  const s = typeof seconds === 'number' ? String(seconds) : seconds;
  if (typeof s !== 'string' || !/^\d{1,3}$/.test(s.trim()) || Number(s) <= 0) return issue('seconds', 'seconds must be a whole number of seconds such as "8" (one of the model\'s durations: GET /v1/models)');
  return Number(s);
}

function imageReference(value: unknown): string | FieldIssue {
  if (value instanceof UploadedFile) {
    const type = value.contentType.toLowerCase();
    if (!IMAGE_TYPES.test(type)) return issue('input_reference', `input_reference must be an image (png, jpeg, webp or gif); the upload is ${type.slice(0, 60) || 'of no type'}`);
    if (!value.data.length) return issue('input_reference', 'input_reference is an empty file');
    return `data:${type};base64,${value.data.toString('base64')}`;
  }
  const url = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>).image_url : value;
  if (value !== null && typeof value === 'object' && 'file_id' in (value as object)) return issue('input_reference', NOT_SUPPORTED['input_reference[file_id]']);
  const problem = mediaUrlProblem(url, 'image');
  return problem ? issue('input_reference', `input_reference ${problem} (or upload the image as a file)`) : (url as string);
}

/**
 * Validates an OpenAI Videos create body and maps it onto the generations API's request: `seconds` →
 * duration, `size` → resolution + aspect ratio, `input_reference` (upload, URL or {image_url}) → imageUrl
 * (an upload becomes a data: URI). The mapped body then goes through the generations API's own
 * validation, so both faces accept exactly the same requests; its messages are renamed to OpenAI's fields.
 */
export function parseOpenAIVideoBody(body: unknown): VideoRequest {
  const raw: Record<string, unknown> = { ...requireJsonObject(body) };
  // Multipart spells nested fields input_reference[image_url].
  for (const k of Object.keys(raw)) {
    const nested = /^input_reference\[(\w+)\]$/.exec(k);
    if (nested && !NOT_SUPPORTED[k]) {
      raw.input_reference = { ...(typeof raw.input_reference === 'object' ? (raw.input_reference as object) : {}), [nested[1]]: raw[k] };
      delete raw[k];
    }
  }
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(raw)) {
    if (FIELDS.includes(k)) continue;
    const name = k.slice(0, 64);
    issues.push(issue(name, (Object.hasOwn(NOT_SUPPORTED, k) ? NOT_SUPPORTED[k] : undefined) ?? `${name} is not a parameter of POST /v1/videos (model, prompt, seconds, size, input_reference); model-specific options are in POST /v1/video/generations`));
  }
  if (raw.model === undefined) issues.push(issue('model', 'model is required: a Pipevideo model slug such as "google/veo-3.1" (GET /v1/models lists them with their durations and sizes)'));
  const mapped: Record<string, unknown> = { model: raw.model, prompt: raw.prompt };
  if (raw.seconds !== undefined) {
    const d = secondsToDuration(raw.seconds);
    if (typeof d === 'number') mapped.duration = d;
    else issues.push(d);
  }
  if (raw.size !== undefined) {
    const s = sizeToResolution(raw.size);
    if ('field' in s) issues.push(s);
    else Object.assign(mapped, s);
  }
  if (raw.input_reference !== undefined) {
    const r = imageReference(raw.input_reference);
    if (typeof r === 'string') mapped.imageUrl = r;
    else issues.push(r);
  }
  if (issues.length) throw invalid(issues);
  try {
    return parseVideoGenerationBody(mapped);
  } catch (err) {
    throw err instanceof ApiError ? renamed(err) : err;
  }
}

/** A generations-API validation error with OpenAI's field names. */
function renamed(err: ApiError): ApiError {
  const details = err.extra.details?.map((d) => {
    const [head, ...rest] = d.field.split('.');
    const field = [OUR_NAME_TO_OPENAI[head] ?? head, ...rest].join('.');
    return { field, message: d.message.startsWith(head) ? `${field}${d.message.slice(head.length)}` : d.message };
  });
  if (!details?.length) return err;
  return new ApiError(ErrorCode.BAD_REQUEST, details.map((d) => d.message).join('; '), { details, param: details[0].field });
}
