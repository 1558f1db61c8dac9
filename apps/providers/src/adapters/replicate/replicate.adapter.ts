import { ProviderErrorKind } from '@pipevideo/contracts';
import { KeysUnavailableError } from '../common/key-cache';
import { mapParams } from '../common/param-mapping';
import { isOk, obj, ProviderHttp, sameOrigin, str, trimSlash, type HttpAnswer } from '../common/provider-http';
import type {
  CallbackRequest, CallbackVerdict, CancelAnswer, JobHandle, JobStatus, KeyCheck, NormaliseContext, ProviderAdapter, ProviderCredentials, ProviderInput,
  SubmitAccepted, SubmitRequest,
} from '../provider-adapter';
import type { AdapterDeps, BaseProviderConfig } from '../provider-definition';
import { garbage, httpError, looksLikeModeration, ProviderError } from '../provider-error';
import { REPLICATE_PARAMS } from './replicate.params';
import { ReplicateWebhookVerifier } from './replicate-webhook-verifier';

export interface ReplicateConfig extends BaseProviderConfig {
  /** `whsec_…`; when absent it is fetched from `GET {base}/webhooks/default/secret` and cached. */
  webhookSecret?: string;
}

interface ReplicateHandle extends JobHandle {
  predictionId: string;
  getUrl: string;
  cancelUrl: string;
}

/** `owner/name` (official model endpoint), `owner/name:version` or a bare version id. */
const OFFICIAL = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
const VERSIONED = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:)?[A-Za-z0-9]+$/;

/**
 * Replicate predictions API (https://api.replicate.com/v1), callback-based:
 * - submit `POST {base}/models/{owner}/{name}/predictions` (or `POST {base}/predictions` with a
 *   version) with `Authorization: Bearer …`, `webhook` + `webhook_events_filter: ["completed"]` and
 *   `Cancel-After: <deadline>s` so Replicate stops spending when we give up;
 * - webhooks verified with Standard Webhooks (see replicate-webhook-verifier.ts), idempotent on `webhook-id`;
 * - poll `GET {base}/predictions/{id}` (fallback), cancel `POST {base}/predictions/{id}/cancel`.
 */
export class ReplicateAdapter implements ProviderAdapter {
  readonly slug = 'replicate' as const;
  readonly mode = 'callback' as const;
  readonly api = 'video' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;
  private readonly verifier: ReplicateWebhookVerifier;
  /** Orgs' own accounts (BYOK) sign with their own webhook secret, fetched with their token and cached per account. */
  private readonly accountVerifiers = new Map<string, ReplicateWebhookVerifier>();

  constructor(
    private readonly cfg: ReplicateConfig,
    private readonly deps: AdapterDeps,
  ) {
    this.base = trimSlash(cfg.baseUrl);
    this.http = new ProviderHttp('replicate', deps.httpTimeoutMs);
    this.verifier = this.newVerifier(cfg.webhookSecret, () => this.fetchSecret());
  }

  private newVerifier(configuredSecret: string | undefined, fetchSecret: () => Promise<string>): ReplicateWebhookVerifier {
    return new ReplicateWebhookVerifier({
      configuredSecret,
      fetchSecret,
      toleranceSeconds: Math.min(this.deps.signatureToleranceSeconds, 300),
      secretTtlMs: 24 * 3600_000,
      minRefreshIntervalMs: this.deps.keyRefreshMinIntervalMs,
    });
  }

  private verifierFor(credentials?: ProviderCredentials): ReplicateWebhookVerifier {
    if (!credentials) return this.verifier;
    let v = this.accountVerifiers.get(credentials.accountRef);
    if (!v) {
      v = this.newVerifier(undefined, () => this.fetchSecret(credentials.apiKey));
      this.accountVerifiers.set(credentials.accountRef, v);
    }
    return v;
  }

  private auth(credentials?: ProviderCredentials) {
    return { authorization: `Bearer ${credentials?.apiKey ?? this.cfg.apiKey ?? ''}` };
  }

  /** `GET /account`: Replicate's cheapest authenticated call (who owns the token); 401 = not a valid token. */
  async verifyKey(apiKey: string): Promise<KeyCheck> {
    let answer: HttpAnswer;
    try {
      answer = await this.http.send('account', { method: 'GET', url: `${this.base}/account`, headers: this.auth({ apiKey, accountRef: '' }) });
    } catch (err) {
      return { ok: false, reason: 'unavailable', message: `Replicate could not be reached to check the token (${(err as Error).message})` };
    }
    if (answer.status === 401 || answer.status === 403) return { ok: false, reason: 'invalid', message: 'Replicate refused this API token (HTTP ' + answer.status + ')' };
    if (!isOk(answer)) return { ok: false, reason: 'unavailable', message: `Replicate answered HTTP ${answer.status} to the token check` };
    return { ok: true, accountId: str(obj(answer.json)?.username) ?? null };
  }

  normalise(params: Record<string, unknown>, ctx: NormaliseContext): ProviderInput {
    if (!OFFICIAL.test(ctx.providerModelId) && !VERSIONED.test(ctx.providerModelId)) {
      throw new ProviderError(ProviderErrorKind.BadRequest, `invalid Replicate model id ${ctx.providerModelId}`);
    }
    return mapParams(REPLICATE_PARAMS, params, ctx.providerModelId, 'replicate');
  }

  async submit(req: SubmitRequest): Promise<SubmitAccepted> {
    const official = OFFICIAL.exec(req.providerModelId);
    const body: Record<string, unknown> = { input: req.input };
    if (req.callbackUrl) {
      body.webhook = req.callbackUrl;
      body.webhook_events_filter = ['completed'];
    }
    let url: string;
    if (official) url = `${this.base}/models/${official[1]}/${official[2]}/predictions`;
    else if (VERSIONED.test(req.providerModelId)) {
      url = `${this.base}/predictions`;
      body.version = req.providerModelId;
    } else throw new ProviderError(ProviderErrorKind.BadRequest, `invalid Replicate model id ${req.providerModelId}`);
    const headers: Record<string, string> = { ...this.auth(req.credentials) };
    if (req.deadlineSeconds && req.deadlineSeconds > 0) headers['cancel-after'] = `${Math.ceil(req.deadlineSeconds)}s`;

    const answer = await this.http.send('submit', { method: 'POST', url, headers, body });
    if (!isOk(answer)) throw this.classifyError(answer, 'submit');
    const p = this.http.object(answer, 'submit');
    const id = str(p.id);
    if (!id) throw garbage('replicate', 'submit', 'no prediction id');
    const urls = obj(p.urls);
    const get = `${this.base}/predictions/${encodeURIComponent(id)}`;
    const handle: ReplicateHandle = {
      predictionId: id,
      getUrl: sameOrigin(urls?.get, this.base) ?? get,
      cancelUrl: sameOrigin(urls?.cancel, this.base) ?? `${get}/cancel`,
    };
    return { providerJobId: id, handle };
  }

  async poll(h: JobHandle, credentials?: ProviderCredentials): Promise<JobStatus> {
    const handle = h as ReplicateHandle;
    const answer = await this.http.send('status', { method: 'GET', url: handle.getUrl, headers: this.auth(credentials) });
    if (!isOk(answer)) throw this.classifyError(answer, 'status');
    return predictionStatus(this.http.object(answer, 'status'));
  }

  async verifyAndParseCallback(req: CallbackRequest): Promise<CallbackVerdict> {
    const v = await this.verifierFor(req.credentials).verify(req.headers, req.rawBody);
    if (!v.ok) return v;
    let p: Record<string, unknown> | undefined;
    try {
      p = obj(JSON.parse(req.rawBody.toString('utf8')));
    } catch {
      p = undefined;
    }
    const id = str(p?.id);
    if (!p || !id) return { ok: false, reason: 'malformed', message: 'webhook body is not a prediction' };
    return { ok: true, callback: { deliveryId: v.webhookId, providerJobId: id, status: predictionStatus(p) } };
  }

  async cancel(h: JobHandle, credentials?: ProviderCredentials): Promise<CancelAnswer> {
    const handle = h as ReplicateHandle;
    const answer = await this.http.send('cancel', { method: 'POST', url: handle.cancelUrl, headers: this.auth(credentials) });
    if (answer.status === 404) return { result: 'not_found' };
    if (!isOk(answer)) throw this.classifyError(answer, 'cancel');
    const status = str(obj(answer.json)?.status);
    return { result: status === 'canceled' || status === undefined ? 'cancelled' : 'already_finished' };
  }

  classifyError(answer: Pick<HttpAnswer, 'status' | 'text' | 'json'>, operation: string): ProviderError {
    // Errors are application/problem+json: {title, detail, status}.
    const p = obj(answer.json);
    const detail = [str(p?.title), str(p?.detail)].filter(Boolean).join(': ');
    return httpError('replicate', operation, answer.status, answer.text, detail || undefined);
  }

  /** The account's webhook signing secret (the platform's, or an org's own with `apiKey`). */
  private async fetchSecret(apiKey?: string): Promise<string> {
    let answer: HttpAnswer;
    try {
      answer = await this.http.send('secret', { method: 'GET', url: `${this.base}/webhooks/default/secret`, headers: this.auth(apiKey ? { apiKey, accountRef: '' } : undefined) });
    } catch (err) {
      throw new KeysUnavailableError((err as Error).message);
    }
    const key = str(obj(answer.json)?.key);
    if (answer.status !== 200 || !key || !key.startsWith('whsec_')) throw new KeysUnavailableError(`webhook secret endpoint answered HTTP ${answer.status}`);
    return key;
  }
}

function outputUrl(output: unknown): string | undefined {
  if (typeof output === 'string') return output || undefined;
  if (Array.isArray(output)) return output.map(outputUrl).find(Boolean);
  const o = obj(output);
  return o ? (str(o.video) ?? str(o.url)) : undefined;
}

/** Prediction status → our status. */
export function predictionStatus(p: Record<string, unknown>): JobStatus {
  const error = typeof p.error === 'string' ? p.error : p.error ? JSON.stringify(p.error) : '';
  switch (p.status) {
    case 'succeeded': {
      const url = outputUrl(p.output);
      return url
        ? { state: 'final', outcome: { outcome: 'succeeded', outputUrl: url } }
        : { state: 'final', outcome: { outcome: 'failed', errorKind: ProviderErrorKind.Garbage, errorMessage: 'Replicate prediction succeeded without an output URL' } };
    }
    case 'failed':
      return {
        state: 'final',
        outcome: {
          outcome: 'failed',
          errorKind: looksLikeModeration(error) || /\bE005\b/.test(error) ? ProviderErrorKind.Moderation : ProviderErrorKind.ServerError,
          errorMessage: error || 'Replicate prediction failed',
        },
      };
    case 'canceled':
      // We mark a job cancelled ourselves before asking Replicate, so a `canceled` that still finds the
      // job running comes from the Cancel-After deadline (or a cancel outside Pipevideo).
      return { state: 'final', outcome: { outcome: 'cancelled', errorKind: ProviderErrorKind.Timeout, errorMessage: 'cancelled upstream (Cancel-After deadline reached)' } };
    case 'aborted':
      return { state: 'final', outcome: { outcome: 'failed', errorKind: ProviderErrorKind.Timeout, errorMessage: 'the deadline passed before the prediction started (aborted, not charged)' } };
    case 'starting':
      return { state: 'running', progress: { percent: 5, queuePosition: null, phase: 'starting' } };
    case 'processing':
      return { state: 'running', progress: { percent: logPercent(typeof p.logs === 'string' ? p.logs : '') ?? 50, queuePosition: null, phase: 'processing' } };
    default:
      return { state: 'running' };
  }
}

/**
 * The last percentage a model printed in its logs (Replicate's video models log tqdm bars such as
 * ` 45%|████▌     | 23/50 [00:12<00:14]`), kept within 10–95 so the job never reads done before it is.
 */
export function logPercent(logs: string): number | undefined {
  const all = [...logs.slice(-4000).matchAll(/(\d{1,3})%\|/g)];
  const last = all.at(-1);
  if (!last) return undefined;
  return Math.max(10, Math.min(95, Number(last[1])));
}
