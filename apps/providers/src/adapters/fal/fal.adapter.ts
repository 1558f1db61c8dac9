import { ProviderErrorKind } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import { mapParams } from '../common/param-mapping';
import { isOk, num, obj, ProviderHttp, sameOrigin, str, trimSlash, type HttpAnswer } from '../common/provider-http';
import type {
  CallbackRequest, CallbackVerdict, CancelAnswer, JobHandle, JobOutcome, JobStatus, KeyCheck, NormaliseContext, ProviderAdapter, ProviderCredentials, ProviderInput,
  SubmitAccepted, SubmitRequest,
} from '../provider-adapter';
import type { AdapterDeps, BaseProviderConfig } from '../provider-definition';
import { garbage, httpError, looksLikeModeration, ProviderError } from '../provider-error';
import { FAL_PARAMS } from './fal.params';
import { FalWebhookVerifier } from './fal-webhook-verifier';

export interface FalConfig extends BaseProviderConfig {
  /** Where fal publishes the ED25519 keys its webhooks are signed with. */
  jwksUrl: string;
  /** JWKS cache lifetime (default 24 h). */
  jwksTtlMs?: number;
  /** Longest a fetched JWKS is used while refetching fails (default 48 h, FAL_JWKS_MAX_AGE_MS). */
  jwksMaxAgeMs?: number;
  /** Our fal account's user id (FAL_USER_ID): callbacks signed for another fal account are refused. */
  userId?: string;
  /**
   * fal's Platform API (FAL_API_URL), where an org's own key is checked (`GET /v1/account/billing`).
   * Default `https://api.fal.ai` for fal's own queue, else the queue's base (a sandbox serves both).
   */
  apiUrl?: string;
}

interface FalHandle extends JobHandle {
  requestId: string;
  statusUrl: string;
  responseUrl: string;
  cancelUrl: string;
}

/** A fal model path: `owner/app[/endpoint…]`, nothing that could escape the path. */
const MODEL_PATH = { test: (id: string) => /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(id) && !id.split('/').some((s) => s === '.' || s === '..') };

/**
 * fal queue API (https://queue.fal.run), callback-based:
 * - submit `POST {base}/{model_id}?fal_webhook=<callback url>` with `Authorization: Key …`; the answer's
 *   status/response/cancel URLs are used as given (they sit on the app id, not the model path);
 * - the webhook is verified with fal's ED25519 scheme (see fal-webhook-verifier.ts) and is idempotent
 *   on `request_id`;
 * - `poll()` (status URL, then response URL) serves the fallback poll and a callback without payload;
 * - cancel `PUT {cancel_url}`.
 */
export class FalAdapter implements ProviderAdapter {
  readonly slug = 'fal' as const;
  readonly mode = 'callback' as const;
  readonly api = 'video' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;
  private readonly verifier: FalWebhookVerifier;

  constructor(
    private readonly cfg: FalConfig,
    deps: AdapterDeps,
  ) {
    this.base = trimSlash(cfg.baseUrl);
    this.http = new ProviderHttp('fal', deps.httpTimeoutMs);
    this.verifier = new FalWebhookVerifier({
      jwksUrl: cfg.jwksUrl,
      http: this.http,
      toleranceSeconds: deps.signatureToleranceSeconds,
      jwksTtlMs: cfg.jwksTtlMs ?? 24 * 3600_000,
      jwksMaxAgeMs: cfg.jwksMaxAgeMs,
      expectedUserId: cfg.userId,
      minRefreshIntervalMs: deps.keyRefreshMinIntervalMs,
    });
    if (cfg.apiKey && !cfg.userId) logger.warn('FAL_USER_ID is not set: fal callbacks signed for any fal account are accepted (set it to your fal user id)');
  }

  private auth(credentials?: ProviderCredentials) {
    return { authorization: `Key ${credentials?.apiKey ?? this.cfg.apiKey ?? ''}` };
  }

  private get apiUrl(): string {
    return trimSlash(this.cfg.apiUrl ?? (this.base === 'https://queue.fal.run' ? 'https://api.fal.ai' : this.base));
  }

  /**
   * `GET /v1/account/billing` on fal's Platform API: the cheapest authenticated call. 401 = not a fal key;
   * 403 = a valid key without billing read access (an inference-only key), which is all we need.
   */
  async verifyKey(apiKey: string): Promise<KeyCheck> {
    let answer: HttpAnswer;
    try {
      answer = await this.http.send('account', { method: 'GET', url: `${this.apiUrl}/v1/account/billing`, headers: this.auth({ apiKey, accountRef: '' }) });
    } catch (err) {
      return { ok: false, reason: 'unavailable', message: `fal could not be reached to check the key (${(err as Error).message})` };
    }
    if (answer.status === 403) return { ok: true, accountId: null };
    if (answer.status === 401) return { ok: false, reason: 'invalid', message: `fal refused this key (HTTP 401${detailText(answer.json) ? `: ${detailText(answer.json)}` : ''})` };
    if (!isOk(answer)) return { ok: false, reason: 'unavailable', message: `fal answered HTTP ${answer.status} to the key check` };
    return { ok: true, accountId: str(obj(answer.json)?.username) ?? null };
  }

  normalise(params: Record<string, unknown>, ctx: NormaliseContext): ProviderInput {
    if (!MODEL_PATH.test(ctx.providerModelId)) throw new ProviderError(ProviderErrorKind.BadRequest, `invalid fal model id ${ctx.providerModelId}`);
    return mapParams(FAL_PARAMS, params, ctx.providerModelId, 'fal');
  }

  async submit(req: SubmitRequest): Promise<SubmitAccepted> {
    if (!MODEL_PATH.test(req.providerModelId)) throw new ProviderError(ProviderErrorKind.BadRequest, `invalid fal model id ${req.providerModelId}`);
    const query = req.callbackUrl ? `?fal_webhook=${encodeURIComponent(req.callbackUrl)}` : '';
    const answer = await this.http.send('submit', { method: 'POST', url: `${this.base}/${req.providerModelId}${query}`, headers: this.auth(req.credentials), body: req.input });
    if (!isOk(answer)) throw this.classifyError(answer, 'submit');
    const o = this.http.object(answer, 'submit');
    const requestId = str(o.request_id);
    if (!requestId) throw garbage('fal', 'submit', 'no request_id');
    // Fallback URLs are built on the app id (`owner/app`), like fal's own.
    const [owner, app] = req.providerModelId.split('/');
    const built = `${this.base}/${owner}/${app}/requests/${encodeURIComponent(requestId)}`;
    const handle: FalHandle = {
      requestId,
      statusUrl: sameOrigin(o.status_url, this.base) ?? `${built}/status`,
      responseUrl: sameOrigin(o.response_url, this.base) ?? built,
      cancelUrl: sameOrigin(o.cancel_url, this.base) ?? `${built}/cancel`,
    };
    return { providerJobId: requestId, handle };
  }

  async poll(h: JobHandle, credentials?: ProviderCredentials): Promise<JobStatus> {
    const handle = h as FalHandle;
    const st = await this.http.send('status', { method: 'GET', url: handle.statusUrl, headers: this.auth(credentials) });
    if (!isOk(st)) throw this.classifyError(st, 'status');
    const body = this.http.object(st, 'status');
    const status = str(body.status);
    // Unknown statuses are treated as still running (the router's timeout bounds them).
    if (!status || !['COMPLETED', 'FAILED', 'CANCELED', 'CANCELLED', 'ERROR'].includes(status)) return { state: 'running', progress: falProgress(status, body) };
    return this.fetchResult(handle, credentials);
  }

  private async fetchResult(handle: FalHandle, credentials?: ProviderCredentials): Promise<JobStatus> {
    const res = await this.http.send('result', { method: 'GET', url: handle.responseUrl, headers: this.auth(credentials) });
    if (isOk(res)) {
      const payload = this.http.object(res, 'result');
      return { state: 'final', outcome: successFrom(payload) };
    }
    const detail = detailText(res.json);
    if (res.status === 400 && /in progress/i.test(detail)) return { state: 'running' };
    if (res.status === 400 && /cancel/i.test(detail)) return { state: 'final', outcome: { outcome: 'cancelled', errorMessage: detail || 'cancelled' } };
    // Not an answer about the job (a proxy's 502/504 carries no fal `detail`): transient, look again later.
    if (res.status === 404 || res.status === 429 || res.status === 503 || (res.status >= 500 && !detail)) throw this.classifyError(res, 'result');
    return { state: 'final', outcome: failureFrom(res.status, res.json, `fal result answered HTTP ${res.status}`) };
  }

  async verifyAndParseCallback(req: CallbackRequest): Promise<CallbackVerdict> {
    // A job on an org's own key is signed for that org's fal account, not ours (FAL_USER_ID): any fal
    // account is accepted for it. fal does not document that the Platform API's `username` (what the key
    // check learns) is the user id it signs callbacks for, so it is recorded, not enforced; the signature,
    // its timestamp, and the request id that must be the job's still are.
    const v = await this.verifier.verify(req.headers, req.rawBody, req.credentials ? null : undefined);
    if (!v.ok) return v;
    let body: Record<string, unknown> | undefined;
    try {
      body = obj(JSON.parse(req.rawBody.toString('utf8')));
    } catch {
      body = undefined;
    }
    if (!body) return { ok: false, reason: 'malformed', message: 'callback body is not a JSON object' };
    const requestId = str(body.request_id);
    // The signature covers the request id header; the body must speak of the same request.
    if (requestId !== v.requestId) return { ok: false, reason: 'bad_signature', message: 'request_id in body does not match the signed header' };
    const status = str(body.status);
    if (status === 'OK') {
      const payload = obj(body.payload);
      if (payload && videoUrl(payload)) return { ok: true, callback: { deliveryId: requestId, providerJobId: requestId, status: { state: 'final', outcome: successFrom(payload) } } };
      // payload null (payload_error) or without a video: fetch the result from the queue.
      return { ok: true, callback: { deliveryId: requestId, providerJobId: requestId, status: { state: 'running' }, needsResultFetch: true } };
    }
    if (status === 'ERROR') {
      const code = /(\d{3})/.exec(str(body.error) ?? '')?.[1];
      const outcome = failureFrom(code ? Number(code) : undefined, body.payload, str(body.error) ?? 'fal reported an error');
      return { ok: true, callback: { deliveryId: requestId, providerJobId: requestId, status: { state: 'final', outcome } } };
    }
    return { ok: false, reason: 'malformed', message: `unknown callback status ${JSON.stringify(body.status)}` };
  }

  async cancel(h: JobHandle, credentials?: ProviderCredentials): Promise<CancelAnswer> {
    const handle = h as FalHandle;
    const res = await this.http.send('cancel', { method: 'PUT', url: handle.cancelUrl, headers: this.auth(credentials) });
    const status = str(obj(res.json)?.status);
    if (isOk(res)) return { result: 'cancelled' };
    if (status === 'ALREADY_COMPLETED') return { result: 'already_finished' };
    if (res.status === 404) return { result: 'not_found' };
    throw this.classifyError(res, 'cancel');
  }

  classifyError(answer: Pick<HttpAnswer, 'status' | 'text' | 'json'>, operation: string): ProviderError {
    const detail = detailText(answer.json);
    const err = httpError('fal', operation, answer.status, answer.text, detail || undefined);
    if (hasContentPolicy(answer.json)) return new ProviderError(ProviderErrorKind.Moderation, err.message, answer.status);
    return err;
  }
}

function videoUrl(payload: Record<string, unknown>): string | undefined {
  const video = obj(payload.video);
  if (video && str(video.url)) return str(video.url);
  const videos = payload.videos;
  if (Array.isArray(videos)) return str(obj(videos[0])?.url);
  return undefined;
}

function successFrom(payload: Record<string, unknown>): JobOutcome {
  const url = videoUrl(payload);
  if (!url) return { outcome: 'failed', errorKind: ProviderErrorKind.Garbage, errorMessage: 'fal result has no video URL' };
  return { outcome: 'succeeded', outputUrl: url, durationSeconds: num(obj(payload.video)?.duration) ?? null };
}

/** fal error bodies: `{detail: "text"}` or `{detail: [{loc, msg, type}]}`. */
function detailText(json: unknown): string {
  const d = obj(json)?.detail;
  if (typeof d === 'string') return d;
  if (Array.isArray(d)) return d.map((x) => str(obj(x)?.msg) ?? '').filter(Boolean).join('; ');
  return '';
}

function hasContentPolicy(json: unknown): boolean {
  const d = obj(json)?.detail;
  if (Array.isArray(d) && d.some((x) => obj(x)?.type === 'content_policy_violation')) return true;
  return looksLikeModeration(detailText(json));
}

/** A job that fal accepted and then failed: the HTTP code its runner returned says whose fault. */
function failureFrom(code: number | undefined, payload: unknown, fallback: string): JobOutcome {
  const message = detailText(payload) || fallback;
  let kind: ProviderErrorKind;
  if (hasContentPolicy(payload)) kind = ProviderErrorKind.Moderation;
  else if (code === 400 || code === 422) kind = ProviderErrorKind.InputRejected;
  else if (code === 429) kind = ProviderErrorKind.RateLimited;
  else if (code === 504) kind = ProviderErrorKind.Timeout;
  else kind = ProviderErrorKind.ServerError;
  return { outcome: 'failed', errorKind: kind, errorMessage: message };
}

/**
 * fal's queue status → our progress: IN_QUEUE carries `queue_position` (requests ahead of this one);
 * IN_PROGRESS gives no percentage, so it reads as half way. Estimates are documented in docs/outputs.md.
 */
export function falProgress(status: string | undefined, body: Record<string, unknown>) {
  if (status === 'IN_QUEUE') {
    const ahead = num(body.queue_position);
    return { percent: 5, queuePosition: ahead !== undefined && ahead >= 0 ? Math.floor(ahead) : null, phase: 'queued' };
  }
  if (status === 'IN_PROGRESS') return { percent: 50, queuePosition: null, phase: 'processing' };
  return undefined;
}
