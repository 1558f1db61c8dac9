/**
 * What the router answers over NATS: the public objects of both API generations, exactly as the gateway
 * passes them through as HTTP bodies (snake_case, public provider names, our error codes). The router's
 * view functions return these types, and the typed seam (seam.ts) binds each `router.*` subject to one,
 * so a field added or renamed on one side is a compile error on the other.
 */

/** A list page of the generations API (`next_cursor` keyset pagination). */
export interface CursorPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** `POST /v1/video/generations` (spec 004): the create's answer; poll the id for the rest. */
export interface GenerationCreatedView {
  id: string;
  status: 'pending';
  model: string;
  created_at: number;
}

/** One routing attempt as customers see it (`attempts[]` of a generation). */
export interface AttemptView {
  attempt: number;
  model: string;
  provider: string | null;
  outcome: string;
  error_code: string | null;
  started_at: number | null;
  ended_at: number | null;
}

/** `GET /v1/video/generations/{id}`: spec 004's poll fields plus `provider`, `error_code`, `duration`, `resolution`, `attempts`. */
export interface VideoGenerationView {
  id: string;
  status: string;
  model: string;
  provider: string | null;
  /** Our signed link to the stored file; `expires_at` is when this link stops working. */
  output_url: string | null;
  expires_at: number | null;
  /** 0–100: where the job stands, as its provider reports it (docs/outputs.md). */
  progress: number;
  /** Place in the provider's queue while queued (fal), else null. */
  queue_position: number | null;
  /** The provider's phase (`queued`, `starting`, `processing`, `composing`, `rendering`, …); null once final, `completed` when done. */
  phase: string | null;
  /** When the stored file is deleted (unix seconds); then `output_url` is null and `…/content` answers 410. */
  retained_until: number | null;
  cost_cents: number | null;
  duration: number | null;
  resolution: string | null;
  latency_ms: number | null;
  error_message: string | null;
  error_code: string | null;
  created_at: number | null;
  completed_at: number | null;
  attempts: AttemptView[];
}

/** `usage` of a response (spec 002's token counts plus what the ledger charged). */
export interface ResponseUsageView {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
  charged_cents: number;
  estimated: boolean;
}

export interface ExpiringUrl {
  url: string;
  expires_at: number;
}

/** The Responses API object exactly as spec 002 shows it. */
export interface ResponseView {
  id: string;
  object: 'response';
  status: string;
  model: string;
  engine: string | null;
  provider: string | null;
  created_at: number | null;
  completed_at: number | null;
  instructions: string | null;
  max_output_tokens: number | null;
  output: Array<{
    type: 'message';
    id: string;
    role: 'assistant';
    status: string;
    content: Array<{ type: 'output_video'; video_url: ExpiringUrl }>;
  }>;
  output_video_url: string | null;
  /** 0–100: where the job stands, as its provider reports it (docs/outputs.md). */
  progress: number;
  /** Place in the provider's queue while queued (fal), else null. */
  queue_position: number | null;
  /** The provider's phase (`queued`, `starting`, `processing`, `composing`, `rendering`, …); null once final, `completed` when done. */
  phase: string | null;
  /** When the stored file is deleted (unix seconds); then `output_url` is null and `…/content` answers 410. */
  retained_until: number | null;
  artifact_url: ExpiringUrl | null;
  artifact_type: string | null;
  usage: ResponseUsageView | null;
  latency_ms: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  metadata: Record<string, string>;
}

/** `POST /v1/responses/{id}/cancel`: the response after the cancel, and whether this call cancelled it. */
export interface CancelledResponseView extends ResponseView {
  cancelled: boolean;
}

/** OpenAI's four video statuses (`cancelled` shows as `failed` with code `cancelled`). */
export type OpenAIVideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** A video as OpenAI's Videos API shows it (`client.videos.retrieve`). */
export interface OpenAIVideoView {
  id: string;
  object: 'video';
  status: OpenAIVideoStatus;
  progress: number;
  model: string;
  prompt: string | null;
  seconds: string | null;
  size: string | null;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  error: { code: string; message: string } | null;
  remixed_from_video_id: null;
}

/** OpenAI's list page (`after` pagination by id). */
export interface OpenAIVideoPage {
  object: 'list';
  data: OpenAIVideoView[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface OpenAIVideoDeleted {
  id: string;
  object: 'video.deleted';
  deleted: true;
}

// ---------------------------------------------------------------------------------------------
// The catalog (`GET /v1/models`, `GET /v1/engines`)
// ---------------------------------------------------------------------------------------------

export interface PublicCapabilities {
  text_to_video: boolean;
  image_to_video: boolean;
  audio: boolean;
}

export interface PublicResolutionPrice {
  resolution: string;
  per_request_cents: number;
  per_second_cents: number;
}

export interface PublicEndpointHealth {
  window_seconds: number;
  /** Outcomes measured in the window. */
  samples: number;
  /** Successful outcomes in %, one decimal; null without outcomes. */
  uptime_percent: number | null;
  /** Median seconds from submit to completion of successful jobs; null without any. */
  typical_completion_seconds: number | null;
  completion_seconds_p90: number | null;
  recent_failures: Array<{ kind: string; count: number }>;
}

export interface PublicEndpoint {
  /** `fal` | `replicate` | `pipevideo` (internal route). */
  provider: string;
  /** Can be named in `provider.order`. */
  user_selectable: boolean;
  resolutions: string[];
  pricing: PublicResolutionPrice[];
  audio_multiplier: number;
  capabilities: PublicCapabilities;
  max_duration: number;
  /** The exact durations (seconds) this endpoint makes. */
  durations: number[];
  aspect_ratios: string[];
  /** Names of the model options this endpoint takes. */
  options: string[];
  /** Recent uptime and typical completion time, measured (absent when the caller has no measurements). */
  health?: PublicEndpointHealth;
}

/** A model-specific option as `/v1/models` publishes it. */
export interface PublicModelOption {
  type: string;
  description: string;
  minimum?: number;
  maximum?: number;
  max_length?: number;
  values?: Array<string | number>;
  requires_image?: boolean;
  providers?: string[];
  price: 'none' | { per_request_cents?: number; per_second_multiplier?: number };
}

/** The price of one request shape: its rates, the route it runs on and its total. */
export interface PublicModelPrice {
  resolution: string;
  /** Seconds of video (the model's default duration). */
  duration: number;
  per_request_cents: number;
  per_second_cents: number;
  audio_multiplier: number;
  /** Public provider name of the route priced. */
  provider: string;
  /** per_request + per_second × duration, rounded up to whole cents: what such a request is charged. */
  request_cents: number;
}

export interface PublicModel {
  id: string;
  object: 'model';
  name: string;
  description: string;
  capabilities: PublicCapabilities;
  default_duration: number;
  min_duration: number;
  max_duration: number;
  /** The exact durations (seconds) a request may ask for; min_duration/max_duration are its ends. */
  durations: number[];
  aspect_ratios: string[];
  resolutions: string[];
  default_resolution: string;
  /** Model-specific options a request may send in `options`: type, limits, providers and price effect. */
  options: Record<string, PublicModelOption>;
  /** What a default request (default duration, default resolution, no audio) costs; null when no endpoint is listed. */
  pricing: PublicModelPrice | null;
  /** A default-duration request without audio at each resolution the model offers (the cheapest listed route offering it). */
  pricing_by_resolution: PublicModelPrice[];
  /** Listed endpoints, cheapest first. */
  endpoints: PublicEndpoint[];
}

export interface PublicEngineModel {
  id: string;
  name: string;
  pricing: {
    input_per_million_usd: number;
    output_per_million_usd: number;
    input_per_million_cents: number;
    output_per_million_cents: number;
  };
}

export interface PublicEngine {
  id: string;
  object: 'engine';
  name: string;
  description: string;
  /** True for the engine used when the request names none. */
  default: boolean;
  default_provider: string;
  providers: string[];
  output_media_type: string;
  artifact_media_type: string | null;
  models: PublicEngineModel[];
  /** Only for `auto`: which engine is picked for which prompt keywords, else `fallback`. */
  selection: { rules: { engine: string; keywords: string[] }[]; fallback: string } | null;
}

/** `/v1/models` and `/v1/engines`: the whole list in one page. */
export interface WholeList<T> {
  object: 'list';
  data: T[];
  has_more: false;
  next_cursor: null;
}

// ---------------------------------------------------------------------------------------------
// App rankings
// ---------------------------------------------------------------------------------------------

/** One app of the public rankings. */
export interface RankedApp {
  /** Display name: the app's title (sanitised, capped), else its origin's host. */
  app: string;
  /** The title the app sends (X-Pipevideo-Title / X-Title), null when it sends only a Referer. */
  title: string | null;
  /** The origin of its Referer (`https://cats.example`), never a path or a query; null when it sends only a title. */
  origin: string | null;
  /** Completed generations in the window. */
  generations: number;
}

export interface RankingsPage {
  object: 'list';
  data: RankedApp[];
  has_more: boolean;
  /** Rankings are a top list, not pageable: always null (ask a larger `limit`, at most 100). */
  next_cursor: null;
  window_hours: number;
  /** Apps with fewer completed generations in the window are not shown. */
  min_generations: number;
}

/** `GET /v1/apps/rankings/settings`: whether the org's apps are left out of the public rankings. */
export interface RankingsSettings {
  object: 'rankings_settings';
  opt_out: boolean;
  /** When the org opted out (unix seconds); null while it is listed. */
  opted_out_at: number | null;
}
