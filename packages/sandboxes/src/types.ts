/** Public types of @pipevideo/sandboxes. Other packages code against these names. */

export type SandboxName = 'fal' | 'replicate' | 'vercel-gateway' | 'framerate';

export interface SandboxOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 (default) = random free port. */
  port?: number;
  /** How long a generation job takes from submit to terminal state. Default 300 ms. */
  jobDurationMs?: number;
  /** The one API key this sandbox accepts. Default `sandbox-<name>-key`. */
  apiKey?: string;
  /**
   * Base URL written into answers (status/result/file URLs). Default `http://<host>:<port>`
   * (0.0.0.0 / :: are advertised as 127.0.0.1). Set it when the sandbox is reached through a proxy.
   */
  publicUrl?: string;
  /** Callback deliveries per event for callback providers (fal, replicate). Default 3. */
  callbackAttempts?: number;
  /** Pause between callback delivery attempts. Default 200 ms. */
  callbackRetryDelayMs?: number;
}

export interface SandboxRequestLog {
  /** Date.now() when the request arrived (or the callback was sent). */
  at: number;
  method: string;
  /** URL path without the query string (for `callback` entries: the full callback URL). */
  path: string;
  /** submit | status | result | cancel | generate | jwks | secret | file | callback | unknown */
  operation: string;
  modelId?: string;
  /** Fault(s) applied to this request, comma-separated; `unauthorized` for a rejected key. */
  fault?: string;
  /** HTTP status answered (for `callback` entries: the status the receiver answered, 0 = network error). */
  status?: number;
  /** Job / request / prediction id the request refers to, when known. */
  jobId?: string;
  /** The parsed JSON body of a POST (e.g. a submit's input), exactly as received. */
  body?: unknown;
  /** Whose token authenticated the request: `platform` (the sandbox's own key) or an added account's name. */
  account?: string;
}

export type FaultName =
  | 'down'
  | 'rate_limited'
  | 'moderation'
  | 'slow'
  | 'accept_then_fail'
  | 'never_callback'
  | 'bad_signature'
  | 'duplicate_callback'
  | 'garbage'
  | 'bad_request'
  | 'jwks_down'
  | 'incomplete'
  | 'slow_job'
  | 'flaky'
  /** The output file answers HTML with a video content type (our copy-in must refuse it). */
  | 'bad_output'
  /** The output file answers 503 to its first two downloads, then the video. */
  | 'file_flaky'
  /** Vercel AI Gateway: the video comes inline as base64 instead of a URL. */
  | 'inline_video';

export const FAULT_NAMES: readonly FaultName[] = [
  'down',
  'rate_limited',
  'moderation',
  'slow',
  'accept_then_fail',
  'never_callback',
  'bad_signature',
  'duplicate_callback',
  'garbage',
  'bad_request',
  'jwks_down',
  'incomplete',
  'slow_job',
  'flaky',
  'bad_output',
  'file_flaky',
  'inline_video',
];

export interface FaultRule {
  fault: FaultName;
  /** How many requests/jobs the rule applies to. Default: until cleared. */
  times?: number;
  /** Only for this provider model id. */
  modelId?: string;
  /** For `slow`: how long the submit answer is held; for `slow_job`: how long the job runs. Default 5000 ms. */
  delayMs?: number;
  /** For `flaky`: the share of jobs (0–100) that fail after being accepted, spread evenly. Default 50. */
  percent?: number;
}

export interface RunningSandbox {
  name: SandboxName;
  /** Base URL, no trailing slash. */
  url: string;
  apiKey: string;
  close(): Promise<void>;
  requests(): SandboxRequestLog[];
  setFault(f: FaultRule): void;
  clearFaults(): void;
}

export interface RunningFalSandbox extends RunningSandbox {
  name: 'fal';
  /** `${url}/.well-known/jwks.json` */
  jwksUrl: string;
  /** Value of X-Fal-Webhook-User-Id on every callback. */
  userId: string;
}

export interface RunningReplicateSandbox extends RunningSandbox {
  name: 'replicate';
  /** `whsec_<base64>` — the Standard Webhooks signing secret. */
  webhookSecret: string;
}

export interface RunningVercelGatewaySandbox extends RunningSandbox {
  name: 'vercel-gateway';
}

export interface RunningFramerateSandbox extends RunningSandbox {
  name: 'framerate';
}

export interface FalSandboxOptions extends SandboxOptions {
  /** Default `sandbox-fal-user`. */
  userId?: string;
}

export interface ReplicateSandboxOptions extends SandboxOptions {
  /** Default: a random `whsec_…` generated at start. */
  webhookSecret?: string;
}

export interface FramerateSandboxOptions extends SandboxOptions {
  /** Time in `queued`. Default 50 ms. */
  queueMs?: number;
  /** Time in `composing`. Default 200 ms (or jobDurationMs/2 when only jobDurationMs is given). */
  composeMs?: number;
  /** Time in `rendering`. Default 200 ms (or jobDurationMs/2 when only jobDurationMs is given). */
  renderMs?: number;
}

export interface SandboxSet {
  fal: RunningFalSandbox;
  replicate: RunningReplicateSandbox;
  vercelGateway: RunningVercelGatewaySandbox;
  framerate: RunningFramerateSandbox;
  close(): Promise<void>;
}

export interface StartAllOptions {
  host?: string;
  /** fal = basePort, replicate = +1, vercel-gateway = +2, framerate = +3; 0 / omitted → random ports. */
  basePort?: number;
  jobDurationMs?: number;
  /** Per-sandbox API key overrides. */
  apiKeys?: Partial<Record<SandboxName, string>>;
}
