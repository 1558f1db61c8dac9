import createClient, { type Client } from 'openapi-fetch';
import { pollDelays, sleep, type BackoffOptions } from './backoff';
import { ConnectionError, errorFromResponse, GenerationFailedError, GenerationTimeoutError, PipevideoError, RateLimitError, ServiceUnavailableError } from './errors';
import type { components, paths } from './generated/openapi';

/** `GET /v1/usage`'s query as the API document defines it (its `api` and `status` values). */
type UsageQuery = NonNullable<paths['/v1/usage']['get']['parameters']['query']>;

type Schemas = components['schemas'];
export type CreateVideoGeneration = Schemas['CreateVideoGenerationDto'];
export type VideoGeneration = Schemas['VideoGeneration'];
export type VideoGenerationCreated = Schemas['VideoGenerationCreated'];
export type VideoGenerationList = Schemas['VideoGenerationList'];
export type CreateWebhook = Schemas['CreateWebhookDto'];
export type CreateKey = Schemas['CreateKeyDto'];
export type Balance = Schemas['Balance'];
/** Models and engines are documented loosely in the OpenAPI document; these are the fields the API returns. */
export interface Model {
  id: string;
  name: string;
  description: string;
  default_duration: number;
  durations: number[];
  aspect_ratios: string[];
  resolutions: string[];
  default_resolution: string;
  capabilities: { text_to_video: boolean; image_to_video: boolean; audio: boolean };
  pricing: { per_request_cents: number; per_second_cents: number; audio_multiplier: number; resolution: string } | null;
  [k: string]: unknown;
}

export const DEFAULT_BASE_URL = 'http://localhost:3001';

export interface PipevideoOptions {
  /** A `pv_…` API key (standard; key management needs a management key). */
  apiKey: string;
  /** The gateway, without `/v1`. Default http://localhost:3001 (`pnpm start`). */
  baseUrl?: string;
  /** A fetch implementation (tests, proxies); default the global fetch. */
  fetch?: typeof fetch;
  /** Retries of a 429/503/network failure for requests that are safe to repeat (GETs, creates with their Idempotency-Key). Default 2. */
  maxRetries?: number;
}

export interface GenerateProgress {
  id: string;
  /** The generations API's status: pending, processing, completed, failed. */
  status: string;
  /** 0 pending, 50 processing, 100 completed (derived from the status, as /v1/videos shows it). */
  progress: number;
  elapsedMs: number;
  generation: VideoGeneration | VideoGenerationCreated;
}

export interface GenerateOptions {
  /** Called after the create and after every poll. */
  onProgress?: (p: GenerateProgress) => void;
  /** Stop waiting (the generation goes on; poll it by id). */
  signal?: AbortSignal;
  /** Give up waiting after this long (GenerationTimeoutError). Default 15 minutes. */
  timeoutMs?: number;
  /** Poll delays: start, growth and ceiling. Default 1 s × 1.5 up to 10 s, with jitter. */
  backoff?: BackoffOptions;
  /** Idempotency-Key of the create; default a fresh UUID (a retried create never makes a second video). */
  idempotencyKey?: string;
}

const PROGRESS: Record<string, number> = { pending: 0, processing: 50, completed: 100 };

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The Pipevideo API, typed from the gateway's OpenAPI document. Works in Node ≥ 20 and browsers
 * (only `fetch` and Web Crypto). `api` is the raw typed openapi-fetch client for any endpoint;
 * the methods add Idempotency-Keys on creates, typed errors, retries and `generate()`.
 */
export class PipevideoClient {
  readonly api: Client<paths>;
  readonly baseUrl: string;
  private readonly maxRetries: number;

  constructor(opts: PipevideoOptions) {
    if (!opts?.apiKey) throw new PipevideoError('An API key is required: new Pipevideo({ apiKey: "pv_…" }) (or PIPEVIDEO_API_KEY for the CLI).', 0, 'NO_API_KEY');
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.maxRetries = opts.maxRetries ?? 2;
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      headers: { authorization: `Bearer ${opts.apiKey}` },
      // Late-bound: a fetch stubbed after construction (tests) or polyfilled is still used.
      fetch: opts.fetch ?? ((input: Request) => globalThis.fetch(input)),
    });
  }

  /** Sends, turns an error answer into a typed error, and retries what is safe to retry. */
  protected async call<T>(send: () => Promise<Answer<T>>, retryable = true): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let answer: Answer<T>;
      try {
        answer = await send();
      } catch (err) {
        const e = new ConnectionError(`Could not reach Pipevideo at ${this.baseUrl}: ${(err as Error).message}`, 0, 'CONNECTION_ERROR');
        if (retryable && attempt < this.maxRetries && (err as Error).name !== 'AbortError') {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        throw e;
      }
      if (answer.response.ok) return answer.data as T;
      const e = errorFromResponse(answer.response.status, answer.error, answer.response.headers);
      if (retryable && attempt < this.maxRetries && (e instanceof RateLimitError || e instanceof ServiceUnavailableError)) {
        await sleep(Math.min(60, e.retryAfter ?? 2 ** attempt) * 1000);
        continue;
      }
      throw e;
    }
  }

  // ---- Video generations (/v1/video/generations) ----

  /** Queues a generation (Idempotency-Key: a fresh UUID unless given, so retries never make a second video). */
  createGeneration(body: CreateVideoGeneration, opts: { idempotencyKey?: string } = {}): Promise<VideoGenerationCreated> {
    const key = opts.idempotencyKey ?? newIdempotencyKey();
    return this.call(() => this.api.POST('/v1/video/generations', { body, headers: { 'Idempotency-Key': key } }) as Promise<Answer<VideoGenerationCreated>>);
  }

  getGeneration(id: string): Promise<VideoGeneration> {
    return this.call(() => this.api.GET('/v1/video/generations/{id}', { params: { path: { id } } }) as Promise<Answer<VideoGeneration>>);
  }

  listGenerations(query: { limit?: number; cursor?: string; before?: string | number } = {}): Promise<VideoGenerationList> {
    return this.call(() => this.api.GET('/v1/video/generations', { params: { query } }) as Promise<Answer<VideoGenerationList>>);
  }

  /**
   * Creates a generation and waits until it is final, polling with backoff. Resolves with the completed
   * generation (`output_url`, `cost_cents`); throws GenerationFailedError when it failed (refunded),
   * GenerationTimeoutError after `timeoutMs`.
   */
  async generate(body: CreateVideoGeneration, opts: GenerateOptions = {}): Promise<VideoGeneration> {
    const started = Date.now();
    const created = await this.createGeneration(body, { idempotencyKey: opts.idempotencyKey });
    const report = (g: VideoGeneration | VideoGenerationCreated) =>
      opts.onProgress?.({ id: created.id, status: g.status, progress: PROGRESS[g.status] ?? 0, elapsedMs: Date.now() - started, generation: g });
    report(created);
    const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
    for (const delay of pollDelays(opts.backoff)) {
      if (Date.now() - started + delay > timeoutMs)
        throw new GenerationTimeoutError(`Generation ${created.id} did not finish within ${Math.round(timeoutMs / 1000)} s; it may still finish: poll it by id.`, 0, 'TIMEOUT');
      await sleep(delay, opts.signal);
      const g = await this.getGeneration(created.id);
      report(g);
      if (g.status === 'completed') return g;
      if (g.status === 'failed') throw new GenerationFailedError(`Generation ${g.id} failed: ${g.error_message ?? 'unknown error'} (nothing was charged)`, g as never);
    }
    throw new Error('unreachable');
  }

  /**
   * The finished video's file as a streaming Response (GET /v1/videos/{id}/content: the same id).
   * In Node, `download(id, path)` writes it to a file.
   */
  async content(id: string, opts: { signal?: AbortSignal } = {}): Promise<Response> {
    const answer = await this.call(async () => {
      const r = await this.api.GET('/v1/videos/{id}/content', { params: { path: { id } }, parseAs: 'stream', signal: opts.signal });
      return { ...r, data: r.response } as Answer<Response>;
    });
    return answer;
  }

  // ---- Catalog, billing, usage ----

  async models(): Promise<Model[]> {
    return ((await this.call(() => this.api.GET('/v1/models') as Promise<Answer<unknown>>)) as { data: Model[] }).data;
  }

  async engines(): Promise<Array<Record<string, unknown>>> {
    return ((await this.call(() => this.api.GET('/v1/engines') as Promise<Answer<unknown>>)) as { data: Array<Record<string, unknown>> }).data;
  }

  balance(): Promise<Balance> {
    return this.call(() => this.api.GET('/v1/billing/balance') as Promise<Answer<Balance>>);
  }

  /** Usage rows, newest first, with totals per day and model; `model`, `api` and `status` narrow rows and totals alike. */
  usage(
    query: { from?: string | number; to?: string | number; limit?: number; cursor?: string; model?: string; api?: UsageQuery['api']; status?: UsageQuery['status'] } = {},
  ): Promise<Record<string, any>> {
    return this.call(() => this.api.GET('/v1/usage', { params: { query } }) as Promise<Answer<Record<string, any>>>);
  }

  // ---- API keys (management key) ----

  listKeys(): Promise<Record<string, any>> {
    return this.call(() => this.api.GET('/v1/keys') as Promise<Answer<Record<string, any>>>);
  }

  createKey(body: CreateKey): Promise<Record<string, any>> {
    const key = newIdempotencyKey();
    return this.call(() => this.api.POST('/v1/keys', { body, headers: { 'Idempotency-Key': key } }) as Promise<Answer<Record<string, any>>>);
  }

  revokeKey(id: string): Promise<Record<string, any>> {
    return this.call(() => this.api.DELETE('/v1/keys/{id}', { params: { path: { id } } }) as Promise<Answer<Record<string, any>>>);
  }

  // ---- Webhook endpoints ----

  listWebhooks(): Promise<Record<string, any>> {
    return this.call(() => this.api.GET('/v1/webhooks') as Promise<Answer<Record<string, any>>>);
  }

  createWebhook(body: CreateWebhook): Promise<Record<string, any>> {
    const key = newIdempotencyKey();
    return this.call(() => this.api.POST('/v1/webhooks', { body, headers: { 'Idempotency-Key': key } }) as Promise<Answer<Record<string, any>>>);
  }

  deleteWebhook(id: string): Promise<Record<string, any>> {
    return this.call(() => this.api.DELETE('/v1/webhooks/{id}', { params: { path: { id } } }) as Promise<Answer<Record<string, any>>>);
  }

  testWebhook(id: string): Promise<Record<string, any>> {
    return this.call(() => this.api.POST('/v1/webhooks/{id}/test', { params: { path: { id } } }) as Promise<Answer<Record<string, any>>>, false);
  }
}
