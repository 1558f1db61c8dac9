/**
 * The one interface every provider adapter implements. An adapter knows its provider's wire
 * protocol (URLs, auth headers, parameter names, statuses, callback signatures) and nothing about
 * our database, NATS or Nest: the use cases in `../jobs` drive it. Failures are thrown as
 * `ProviderError` (see provider-error.ts), never as raw HTTP or network errors.
 */
import type { ApiKind, JobProgress, ProviderJobFinishedEvt, ProviderSlug, UpstreamCancelResult } from '@pipevideo/contracts';
import type { ProviderError } from './provider-error';

/** Callback providers call us when a job ends; poll providers are asked by our poller. */
export type JobMode = 'callback' | 'poll';

/** Opaque, JSON-serialisable state an adapter needs to poll or cancel a job later (stored in the DB). */
export type JobHandle = Record<string, unknown>;

/** Orchestration tokens a Framerate job spent composing (billed when composing ends). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** The end of a job, in our vocabulary: the fields of `provider_job.finished` an adapter decides. */
export type JobOutcome = Pick<
  ProviderJobFinishedEvt,
  'outcome' | 'outputUrl' | 'artifactUrl' | 'artifactType' | 'errorKind' | 'errorMessage' | 'durationSeconds'
> & {
  /** Framerate `incomplete`: the job stopped before the project was complete. */
  incomplete?: boolean;
};

/** What a status check (poll or callback) found. */
export type JobStatus =
  | { state: 'running'; usage?: TokenUsage; progress?: JobProgress }
  | { state: 'final'; outcome: JobOutcome; usage?: TokenUsage };

/** Provider-ready input, the result of `normalise()`. */
export type ProviderInput = Record<string, unknown>;

export interface NormaliseContext {
  api: ApiKind;
  providerModelId: string;
}

/**
 * Whose provider account a call runs on: absent = the platform's own (configured) key; present = an
 * org's own key (bring your own key, issue 22), decrypted by the providers service just for the call.
 */
export interface ProviderCredentials {
  apiKey: string;
  /** Names the account in caches (per-account webhook secrets); changes when the key does. */
  accountRef: string;
  /** The provider's id for the account, learnt when the key was verified (fal signs callbacks for it). */
  accountId?: string | null;
}

/** What a cheap authenticated call said about a key (`verifyKey`). */
export type KeyCheck =
  | { ok: true; accountId: string | null }
  /** `invalid`: the provider refused the key; `unavailable`: it could not be asked (down, timeout). */
  | { ok: false; reason: 'invalid' | 'unavailable'; message: string };

export interface SubmitRequest {
  /** The org's own key (BYOK); absent: the platform's. */
  credentials?: ProviderCredentials;
  /** Our job id; part of the callback URL. */
  jobRef: string;
  /** Where a callback provider must POST the result (callback mode only). */
  callbackUrl?: string;
  providerModelId: string;
  api: ApiKind;
  input: ProviderInput;
  /** Seconds after which the provider should stop spending (Replicate `Cancel-After`). */
  deadlineSeconds?: number;
  /** Stable per (generation, attempt): a retried submit must not start a second upstream job. */
  idempotencyKey: string;
}

export interface SubmitAccepted {
  providerJobId: string;
  handle: JobHandle;
}

/** A provider callback as received over HTTP. Header names are lower-case. */
export interface CallbackRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** The job ran on an org's own key: the callback is signed for that account, not the platform's. */
  credentials?: ProviderCredentials;
}

/** Why a callback was refused (→ HTTP 401, 401, 503, 400). */
/** Why a callback is refused; `wrong_account`: validly signed by the provider, but for another account than ours. */
export type CallbackRefusal = 'bad_signature' | 'expired' | 'keys_unavailable' | 'malformed' | 'wrong_account';

export interface ParsedCallback {
  /** Identity of this delivery: the same value on every retry of the same callback (idempotency key). */
  deliveryId: string;
  providerJobId: string;
  status: JobStatus;
  /** The callback said "done" but did not carry the result: fetch it with `poll()`. */
  needsResultFetch?: boolean;
}

export type CallbackVerdict = { ok: true; callback: ParsedCallback } | { ok: false; reason: CallbackRefusal; message: string };

export interface CancelAnswer {
  result: UpstreamCancelResult;
  /** Usage the provider reported on the cancelled job (Framerate keeps composing usage). */
  usage?: TokenUsage;
}

export interface ProviderAdapter {
  readonly slug: ProviderSlug;
  readonly mode: JobMode;
  /** Which API this provider serves (video generations or the Responses engines). */
  readonly api: ApiKind;

  /**
   * Maps our parameters to the provider's input using the adapter's mapping data (field names,
   * transforms, allowed durations per model). Throws ProviderError('bad_request') on input the
   * provider cannot take. URL safety of `imageUrl` is checked before, by the submit use case.
   */
  normalise(params: Record<string, unknown>, ctx: NormaliseContext): ProviderInput;

  /** Starts the job upstream. */
  submit(req: SubmitRequest): Promise<SubmitAccepted>;

  /** Asks the provider where the job is (poll providers; callback providers as a fallback). */
  poll(handle: JobHandle, credentials?: ProviderCredentials): Promise<JobStatus>;

  /** Callback providers only: verifies the signature, then parses the body. Never throws. */
  verifyAndParseCallback?(req: CallbackRequest): Promise<CallbackVerdict>;

  /** Best-effort cancel upstream. */
  cancel(handle: JobHandle, credentials?: ProviderCredentials): Promise<CancelAnswer>;

  /** Providers that take an org's own key (BYOK): one cheap authenticated call that says whether a key works. */
  verifyKey?(apiKey: string): Promise<KeyCheck>;

  /** Turns a failed HTTP answer into a ProviderError (kind decides fallback vs. final failure). */
  classifyError(answer: { status: number; text: string; json?: unknown }, operation: string): ProviderError;
}
