/**
 * How much to hold for a Responses job before its token usage is known: an upper bound of the input
 * tokens, estimated from the request's size, plus the output cap the provider is told to respect,
 * priced at the model's per-million-token rates. Pure, no I/O.
 *
 * Why the input estimate is an upper bound for typical text: the orchestration models' tokenizers
 * (subword vocabularies of 100k+ entries) take about 4 characters of English per token (Google
 * documents ~4 for Gemini), a little less for code and JSON, and at most about one token per CJK
 * character, which is 3 bytes in UTF-8. So UTF-8 bytes / 3, rounded up, is at or above the real count
 * for prose, code and CJK alike. It is not a bound for adversarial input (random characters, rare
 * symbols, long runs of digits can take a token per 1–2 bytes): usage above the hold is still charged
 * in full, so a low estimate only reserves too little, it never lets usage go unbilled.
 *
 * What is not text: media parts are counted by a fixed allowance each, never by the size of their URL
 * (a 512 KiB data URI would otherwise read as 170k tokens).
 */
import { badRequest, type ResponseRequest } from '@pipevideo/contracts';
import type { TokenRates } from '../catalog/catalog';
import { tokenCost } from '../routing/pricing';

/** Fewest UTF-8 bytes a token of typical text covers (see above). */
export const BYTES_PER_TOKEN = 3;
/**
 * Per request: the chat template and the engine's own preamble the orchestration agent adds to every
 * prompt. Not published by Framerate; a round allowance (the sandbox reports 100).
 */
export const REQUEST_OVERHEAD_TOKENS = 1_000;
/** Per message item: role and separator tokens of the chat format (OpenAI's counts about 4). */
export const MESSAGE_OVERHEAD_TOKENS = 10;
/**
 * Per image part: Claude bills about width × height / 750 tokens after scaling images to at most
 * ~1.15 MP, so ~1,600 is its ceiling; OpenAI's tiles and Gemini's 258-token tiles stay below it for
 * the usual sizes.
 */
export const IMAGE_PART_TOKENS = 1_600;
/** Per video part: about a minute at Gemini's 263 tokens per second. Longer clips are charged in full. */
export const VIDEO_PART_TOKENS = 16_000;

export type HoldRequest = Pick<ResponseRequest, 'input' | 'instructions' | 'max_output_tokens'>;

export interface TokenHold {
  /** Upper estimate of the input tokens (text, instructions, media allowances, overheads). */
  inputTokens: number;
  /** The output cap: the request's `max_output_tokens`, else the configured default. */
  outputTokens: number;
  /** What to hold, whole cents (at least 1: a hold of nothing would let a zero balance start jobs). */
  holdCents: number;
  /** The same tokens at the published USD rates, exact. */
  costUsd: number;
}

/** Tokens the text may take at most (typical tokenizers): UTF-8 bytes / 3, rounded up. */
export function textTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

function partTokens(part: unknown): number {
  if (typeof part === 'string') return textTokens(part);
  if (!part || typeof part !== 'object') return 0;
  const p = part as Record<string, unknown>;
  if (typeof p.text === 'string') return textTokens(p.text);
  if (p.type === 'input_video') return VIDEO_PART_TOKENS;
  // An image, or an attachment kind this estimate does not know: the media allowance, never its size.
  return IMAGE_PART_TOKENS;
}

function itemTokens(item: unknown): number {
  if (typeof item === 'string') return MESSAGE_OVERHEAD_TOKENS + textTokens(item);
  if (!item || typeof item !== 'object') return 0;
  const content = (item as Record<string, unknown>).content;
  let n = MESSAGE_OVERHEAD_TOKENS;
  if (typeof content === 'string') n += textTokens(content);
  else if (Array.isArray(content)) for (const part of content) n += partTokens(part);
  return n;
}

/** Upper estimate of a request's input tokens: instructions, input (string or message items), overheads. */
export function estimateInputTokens(req: Pick<ResponseRequest, 'input' | 'instructions'>): number {
  let n = REQUEST_OVERHEAD_TOKENS;
  if (typeof req.instructions === 'string') n += MESSAGE_OVERHEAD_TOKENS + textTokens(req.instructions);
  if (typeof req.input === 'string') n += MESSAGE_OVERHEAD_TOKENS + textTokens(req.input);
  else if (Array.isArray(req.input)) for (const item of req.input) n += itemTokens(item);
  return n;
}

/**
 * The output cap of a request: its `max_output_tokens`, else the deployment's default. The gateway
 * refuses bad values with a 400 already; this guards the hold against a caller that skipped it.
 */
export function outputCap(req: Pick<ResponseRequest, 'max_output_tokens'>, defaultMaxOutputTokens: number): number {
  const cap = req.max_output_tokens ?? defaultMaxOutputTokens;
  if (!Number.isSafeInteger(cap) || cap < 1) throw badRequest(`max_output_tokens must be a positive integer (got ${JSON.stringify(cap)})`);
  return cap;
}

/** The hold of a Responses job: estimated input tokens + output cap, priced with `tokenCost`. */
export function responseTokenHold(rates: TokenRates, req: HoldRequest, defaultMaxOutputTokens: number): TokenHold {
  const inputTokens = estimateInputTokens(req);
  const outputTokens = outputCap(req, defaultMaxOutputTokens);
  const cost = tokenCost(rates, inputTokens, outputTokens);
  return { inputTokens, outputTokens, holdCents: Math.max(1, cost.costCents), costUsd: cost.costUsd };
}

/**
 * The no-usage rule: a Responses job that completes without any usage report is charged the tokens its
 * hold assumed — the estimated input tokens and the whole output cap — at the model's rates.
 * Not 0: the orchestration ran (there is a video) and the provider bills it, so a provider that forgets
 * to report would otherwise make the work free. The hold's tokens: they are the most the customer agreed
 * to at create (its cap, or the default), they are already reserved, and re-estimating from the stored
 * request (which keeps the cap it was created with) gives the same numbers the hold used.
 */
export function unreportedUsageTokens(storedRequest: HoldRequest, defaultMaxOutputTokens: number): { inputTokens: number; outputTokens: number } {
  return { inputTokens: estimateInputTokens(storedRequest), outputTokens: outputCap(storedRequest, defaultMaxOutputTokens) };
}
