import { ProviderErrorKind } from '@pipevideo/contracts';
import { mapParams } from '../common/param-mapping';
import { isOk, num, obj, ProviderHttp, str, trimSlash, type HttpAnswer } from '../common/provider-http';
import type { CancelAnswer, JobHandle, JobStatus, NormaliseContext, ProviderAdapter, ProviderInput, SubmitAccepted, SubmitRequest, TokenUsage } from '../provider-adapter';
import type { AdapterDeps, BaseProviderConfig } from '../provider-definition';
import { garbage, httpError, ProviderError } from '../provider-error';
import { FRAMERATE_PARAMS } from './framerate.params';

export type FramerateConfig = BaseProviderConfig;

interface FramerateHandle extends JobHandle {
  jobId: string;
}

/**
 * Framerate, the engine provider behind the Responses API (engines hyperframes, lottie), poll-based,
 * our own contract (its sandbox is the reference):
 * - `POST {base}/v1/jobs` → job (`queued`), `GET {base}/v1/jobs/{id}`, `POST {base}/v1/jobs/{id}/cancel`;
 * - statuses queued → composing → rendering → completed | failed | cancelled | incomplete;
 * - `usage` ({input_tokens, output_tokens}) appears when composing ends: the poller reports it once.
 */
export class FramerateAdapter implements ProviderAdapter {
  readonly slug = 'framerate' as const;
  readonly mode = 'poll' as const;
  readonly api = 'responses' as const;
  private readonly base: string;
  private readonly http: ProviderHttp;

  constructor(
    private readonly cfg: FramerateConfig,
    deps: AdapterDeps,
  ) {
    this.base = trimSlash(cfg.baseUrl);
    this.http = new ProviderHttp('framerate', deps.httpTimeoutMs);
  }

  private get auth() {
    return { authorization: `Bearer ${this.cfg.apiKey ?? ''}` };
  }

  normalise(params: Record<string, unknown>, ctx: NormaliseContext): ProviderInput {
    const input = params.input;
    if (!(typeof input === 'string' && input.trim()) && !(Array.isArray(input) && input.length > 0)) {
      throw new ProviderError(ProviderErrorKind.BadRequest, 'input must be a non-empty string or a non-empty array of input items');
    }
    if (params.engine !== 'hyperframes' && params.engine !== 'lottie') {
      throw new ProviderError(ProviderErrorKind.BadRequest, `engine must be hyperframes or lottie (got ${JSON.stringify(params.engine)})`);
    }
    return mapParams(FRAMERATE_PARAMS, params, ctx.providerModelId, 'framerate');
  }

  async submit(req: SubmitRequest): Promise<SubmitAccepted> {
    const answer = await this.http.send('submit', {
      method: 'POST',
      url: `${this.base}/v1/jobs`,
      headers: { ...this.auth, 'idempotency-key': req.idempotencyKey },
      body: req.input,
    });
    if (!isOk(answer)) throw this.classifyError(answer, 'submit');
    const id = str(this.http.object(answer, 'submit').id);
    if (!id) throw garbage('framerate', 'submit', 'no job id');
    return { providerJobId: id, handle: { jobId: id } satisfies FramerateHandle };
  }

  async poll(h: JobHandle): Promise<JobStatus> {
    const { jobId } = h as FramerateHandle;
    const answer = await this.http.send('status', { method: 'GET', url: `${this.base}/v1/jobs/${encodeURIComponent(jobId)}`, headers: this.auth });
    if (!isOk(answer)) throw this.classifyError(answer, 'status');
    return jobStatus(this.http.object(answer, 'status'));
  }

  async cancel(h: JobHandle): Promise<CancelAnswer> {
    const { jobId } = h as FramerateHandle;
    const answer = await this.http.send('cancel', { method: 'POST', url: `${this.base}/v1/jobs/${encodeURIComponent(jobId)}/cancel`, headers: this.auth });
    if (answer.status === 404) return { result: 'not_found' };
    if (answer.status === 409) return { result: 'already_finished' };
    if (!isOk(answer)) throw this.classifyError(answer, 'cancel');
    // A job cancelled while rendering keeps its composing usage: it is billed.
    return { result: 'cancelled', usage: usageOf(obj(answer.json)?.usage) };
  }

  classifyError(answer: Pick<HttpAnswer, 'status' | 'text' | 'json'>, operation: string): ProviderError {
    const e = obj(obj(answer.json)?.error);
    const code = str(e?.code);
    const base = httpError('framerate', operation, answer.status, answer.text, str(e?.message) ? `${str(e?.message)}${code ? ` (${code})` : ''}` : undefined);
    if (code === 'rate_limited') return new ProviderError(ProviderErrorKind.RateLimited, base.message, answer.status);
    if (code === 'service_unavailable') return new ProviderError(ProviderErrorKind.Down, base.message, answer.status);
    if (code === 'content_policy_violation') return new ProviderError(ProviderErrorKind.Moderation, base.message, answer.status);
    return base;
  }
}

function usageOf(u: unknown): TokenUsage | undefined {
  const o = obj(u);
  const input = num(o?.input_tokens);
  const output = num(o?.output_tokens);
  if (input === undefined || output === undefined || input < 0 || output < 0) return undefined;
  return { inputTokens: Math.round(input), outputTokens: Math.round(output) };
}

/** Framerate job → our status (with the composing usage whenever the job carries it). */
export function jobStatus(job: Record<string, unknown>): JobStatus {
  const usage = usageOf(job.usage);
  const error = obj(job.error);
  const code = str(error?.code);
  const message = str(error?.message);
  switch (job.status) {
    case 'queued':
    case 'composing':
    case 'rendering':
      return { state: 'running', usage, progress: framerateProgress(job.status, job) };
    case 'completed': {
      const result = obj(job.result);
      const videoUrl = str(result?.video_url);
      if (!videoUrl) return { state: 'final', usage, outcome: { outcome: 'failed', errorKind: ProviderErrorKind.Garbage, errorMessage: 'Framerate job completed without a video_url' } };
      return {
        state: 'final',
        usage,
        outcome: { outcome: 'succeeded', outputUrl: videoUrl, artifactUrl: str(result?.artifact_url) ?? null, artifactType: str(result?.artifact_media_type) ?? null },
      };
    }
    case 'failed':
      return {
        state: 'final',
        usage,
        outcome: {
          outcome: 'failed',
          errorKind: code === 'content_policy_violation' ? ProviderErrorKind.Moderation : ProviderErrorKind.ServerError,
          errorMessage: message ? `${message}${code ? ` (${code})` : ''}` : `Framerate job failed${code ? ` (${code})` : ''}`,
        },
      };
    case 'cancelled':
      return { state: 'final', usage, outcome: { outcome: 'cancelled', errorMessage: 'cancelled' } };
    case 'incomplete':
      // Our event vocabulary has no `incomplete` outcome: failed + `incomplete: true` + a message that says so.
      return {
        state: 'final',
        usage,
        outcome: { outcome: 'failed', errorKind: ProviderErrorKind.ServerError, errorMessage: `incomplete: ${message ?? 'the job stopped before the project was complete'}`, incomplete: true },
      };
    default:
      throw garbage('framerate', 'status', `unknown job status ${JSON.stringify(job.status)}`);
  }
}

/** Phase weights of a Framerate job (composing is the orchestration LLM, rendering the engine); `progress` when the job reports one. */
const FRAMERATE_PHASE_PERCENT: Record<string, [number, number]> = { queued: [0, 5], composing: [5, 40], rendering: [40, 95] };

export function framerateProgress(phase: 'queued' | 'composing' | 'rendering', job: Record<string, unknown>) {
  const [from, to] = FRAMERATE_PHASE_PERCENT[phase];
  const within = num(job.phase_progress);
  const percent = within !== undefined && within >= 0 && within <= 1 ? Math.round(from + (to - from) * within) : phase === 'queued' ? 5 : Math.round((from + to) / 2);
  const ahead = num(job.queue_position);
  return { percent, queuePosition: phase === 'queued' && ahead !== undefined ? Math.floor(ahead) : null, phase };
}
