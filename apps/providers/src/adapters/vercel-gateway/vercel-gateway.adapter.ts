import { createHash } from 'node:crypto';
import { ProviderErrorKind } from '@pipevideo/contracts';
import { mapParams } from '../common/param-mapping';
import { isOk, obj, ProviderHttp, str, trimSlash, type HttpAnswer } from '../common/provider-http';
import type { CancelAnswer, JobHandle, JobStatus, NormaliseContext, ProviderAdapter, ProviderInput, SubmitAccepted, SubmitRequest } from '../provider-adapter';
import type { AdapterDeps, BaseProviderConfig } from '../provider-definition';
import { garbage, httpError, looksLikeModeration, ProviderError } from '../provider-error';
import { VERCEL_GATEWAY_PARAMS } from './vercel-gateway.params';

export type VercelGatewayConfig = BaseProviderConfig;

interface GatewayHandle extends JobHandle {
  modelId: string;
  /** The gateway's opaque operation, sent back verbatim on status. */
  operation: Record<string, unknown>;
}

const MODEL_ID = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/;

/**
 * Vercel AI Gateway video (https://ai-gateway.vercel.sh/v3/ai), internal route, poll-based. Wire as
 * `@ai-sdk/gateway`'s v4 video model sends it:
 * - start `POST {base}/video-model/start` with `ai-model-id`, `ai-video-model-specification-version: 4`
 *   and `idempotency-key` (ours: `<generationId>:<attempt>`, so a retried submit starts no second job)
 *   → `{ operation }`;
 * - status `POST {base}/video-model/status` `{ operation }` → pending | completed (videos) | error | cancelled;
 * - no public cancel endpoint: cancelling only stops our polling.
 */
export class VercelGatewayAdapter implements ProviderAdapter {
  readonly slug = 'vercel-gateway' as const;
  readonly mode = 'poll' as const;
  readonly api = 'video' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: VercelGatewayConfig,
    deps: AdapterDeps,
  ) {
    this.base = trimSlash(cfg.baseUrl);
    this.http = new ProviderHttp('vercel-gateway', deps.httpTimeoutMs);
  }

  private headers(modelId: string): Record<string, string> {
    return { authorization: `Bearer ${this.cfg.apiKey ?? ''}`, 'ai-model-id': modelId, 'ai-video-model-specification-version': '4' };
  }

  normalise(params: Record<string, unknown>, ctx: NormaliseContext): ProviderInput {
    if (!MODEL_ID.test(ctx.providerModelId)) throw new ProviderError(ProviderErrorKind.BadRequest, `invalid gateway model id ${ctx.providerModelId}`);
    return mapParams(VERCEL_GATEWAY_PARAMS, params, ctx.providerModelId, 'vercel-gateway');
  }

  async submit(req: SubmitRequest): Promise<SubmitAccepted> {
    const answer = await this.http.send('submit', {
      method: 'POST',
      url: `${this.base}/video-model/start`,
      headers: { ...this.headers(req.providerModelId), 'idempotency-key': req.idempotencyKey },
      body: req.input,
    });
    if (!isOk(answer)) throw this.classifyError(answer, 'submit');
    const o = this.http.object(answer, 'submit');
    const operation = obj(o.operation);
    if (!operation) throw garbage('vercel-gateway', 'submit', 'no operation');
    const asyncJob = obj(obj(obj(o.providerMetadata)?.gateway)?.asyncJob);
    const providerJobId =
      str(operation.gatewayJobId) ?? str(asyncJob?.jobId) ?? `op_${createHash('sha256').update(JSON.stringify(operation)).digest('hex').slice(0, 24)}`;
    const handle: GatewayHandle = { modelId: req.providerModelId, operation };
    return { providerJobId, handle };
  }

  async poll(h: JobHandle): Promise<JobStatus> {
    const handle = h as GatewayHandle;
    const answer = await this.http.send('status', {
      method: 'POST',
      url: `${this.base}/video-model/status`,
      headers: this.headers(handle.modelId),
      body: { operation: handle.operation },
    });
    if (!isOk(answer)) throw this.classifyError(answer, 'status');
    const o = this.http.object(answer, 'status');
    switch (o.status) {
      case 'pending': {
        // The gateway's async job says queued or running in providerMetadata; no percentage.
        const queued = str(obj(obj(obj(o.providerMetadata)?.gateway)?.asyncJob)?.status) === 'queued';
        return { state: 'running', progress: queued ? { percent: 5, queuePosition: null, phase: 'queued' } : { percent: 50, queuePosition: null, phase: 'processing' } };
      }
      case 'completed': {
        const videos = Array.isArray(o.videos) ? o.videos.map(obj) : [];
        const url = videos.map((v) => (v?.type === 'url' ? str(v.url) : undefined)).find(Boolean);
        if (url) return { state: 'final', outcome: { outcome: 'succeeded', outputUrl: url } };
        // An inline (base64) video becomes a data: URI; the copy-in (outputs/output-copier.ts) decodes and stores it like any file.
        const inline = videos.find((v) => v?.type === 'base64' && typeof v.data === 'string' && v.data.length > 0);
        if (inline) {
          const mediaType = /^video\/[a-z0-9.+-]+$/i.test(str(inline.mediaType) ?? '') ? str(inline.mediaType)! : 'video/mp4';
          return { state: 'final', outcome: { outcome: 'succeeded', outputUrl: `data:${mediaType};base64,${inline.data as string}` } };
        }
        return { state: 'final', outcome: { outcome: 'failed', errorKind: ProviderErrorKind.Garbage, errorMessage: 'gateway completed without a video' } };
      }
      case 'error': {
        const message = typeof o.error === 'string' ? o.error : (str(obj(o.error)?.message) ?? 'gateway video job failed');
        return { state: 'final', outcome: { outcome: 'failed', errorKind: looksLikeModeration(message) ? ProviderErrorKind.Moderation : ProviderErrorKind.ServerError, errorMessage: message } };
      }
      case 'cancelled':
        return { state: 'final', outcome: { outcome: 'cancelled', errorMessage: 'cancelled by the gateway' } };
      default:
        throw garbage('vercel-gateway', 'status', `unknown status ${JSON.stringify(o.status)}`);
    }
  }

  async cancel(): Promise<CancelAnswer> {
    return { result: 'unsupported' };
  }

  classifyError(answer: Pick<HttpAnswer, 'status' | 'text' | 'json'>, operation: string): ProviderError {
    // Error body: {error: {message, type, param?, code?}}.
    const e = obj(obj(answer.json)?.error);
    const type = str(e?.type);
    const message = str(e?.message);
    const base = httpError('vercel-gateway', operation, answer.status, answer.text, message ? `${message}${type ? ` (${type})` : ''}` : undefined);
    if (type === 'rate_limit_exceeded') return new ProviderError(ProviderErrorKind.RateLimited, base.message, answer.status);
    if (type === 'model_not_found') return new ProviderError(ProviderErrorKind.ServerError, base.message, answer.status);
    if (type === 'content_policy_violation' || looksLikeModeration(message)) return new ProviderError(ProviderErrorKind.Moderation, base.message, answer.status);
    return base;
  }
}
