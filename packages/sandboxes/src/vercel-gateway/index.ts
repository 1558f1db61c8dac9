import { hexId } from '../common/ids';
import { MP4_CONTENT_TYPE, SAMPLE_MP4 } from '../common/media';
import { SandboxCore, type Ctx } from '../common/server';
import type { FaultName, RunningVercelGatewaySandbox, SandboxOptions } from '../types';

/**
 * Vercel AI Gateway video sandbox. Mirrors what `@ai-sdk/gateway`'s GatewayVideoModel puts on the wire:
 *   POST {base}/video-model         sync, answers one SSE data event (doGenerate)
 *   POST {base}/video-model/start   async start → { operation } (doStart; `idempotency-key` de-duplicated)
 *   POST {base}/video-model/status  { operation } → pending | completed | error | cancelled (doStatus)
 * with {base} = `${url}/v3/ai` (any `/v<N>/ai` prefix is accepted). See README.md.
 */

type JobState = 'queued' | 'running' | 'completed' | 'error' | 'cancelled';

interface GatewayJob {
  id: string;
  modelId: string;
  n: number;
  body: Record<string, unknown>;
  callbackUrl?: string;
  faults: Set<FaultName>;
  state: JobState;
  error?: string;
  generationId: string;
}

const APPLICABLE: FaultName[] = ['down', 'rate_limited', 'bad_request', 'garbage', 'slow', 'moderation', 'accept_then_fail', 'never_callback', 'slow_job', 'flaky', 'bad_output', 'file_flaky', 'inline_video'];

export const GATEWAY_MODERATION_ERROR = 'Content policy violation: the request was rejected by the provider safety system.';
export const GATEWAY_FAILURE_ERROR = 'Async video job failed: provider returned an internal error.';

export async function startVercelGatewaySandbox(o: SandboxOptions = {}): Promise<RunningVercelGatewaySandbox> {
  const core = new SandboxCore('vercel-gateway', o);
  const jobs = new Map<string, GatewayJob>();
  const byIdempotencyKey = new Map<string, string>();
  const D = core.jobDurationMs;

  const gwError = (ctx: Ctx, status: number, type: string, message: string, param: unknown = null, headers: Record<string, string> = {}) =>
    core.send(ctx, status, { error: { message, type, param } }, headers);

  const respond = (ctx: Ctx, fault: FaultName): void => {
    if (fault === 'down') return gwError(ctx, 503, 'internal_server_error', 'Service temporarily unavailable');
    if (fault === 'rate_limited') return gwError(ctx, 429, 'rate_limit_exceeded', 'Rate limit exceeded', null, { 'retry-after': '1' });
    gwError(ctx, 400, 'invalid_request_error', 'Invalid request: prompt is required');
  };

  /** Header + body checks shared by sync and async starts; answers and returns undefined on error. */
  const validate = (ctx: Ctx): { modelId: string; body: Record<string, unknown>; n: number } | undefined => {
    const modelId = ctx.header('ai-model-id');
    if (!modelId) return void gwError(ctx, 400, 'invalid_request_error', 'Missing ai-model-id header');
    if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._:-]+$/.test(modelId)) {
      return void gwError(ctx, 404, 'model_not_found', `Model ${modelId} not found`, { modelId, modelType: 'video' });
    }
    const body = ctx.json();
    if (!body || typeof body !== 'object' || Array.isArray(body)) return void gwError(ctx, 400, 'invalid_request_error', 'Invalid request: body must be a JSON object');
    const b = body as Record<string, unknown>;
    const hasImage = b.image !== undefined || Array.isArray(b.frameImages) || Array.isArray(b.inputReferences);
    if ((typeof b.prompt !== 'string' || !b.prompt.trim()) && !hasImage) {
      return void gwError(ctx, 400, 'invalid_request_error', 'Invalid request: prompt is required');
    }
    const n = b.n === undefined ? 1 : b.n;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 4) return void gwError(ctx, 400, 'invalid_request_error', 'Invalid request: n must be an integer between 1 and 4');
    if (b.callbackUrl !== undefined && (typeof b.callbackUrl !== 'string' || !/^https?:\/\/\S+$/i.test(b.callbackUrl))) {
      return void gwError(ctx, 400, 'invalid_request_error', 'Invalid request: callbackUrl must be an absolute http(s) URL');
    }
    return { modelId, body: b, n: n as number };
  };

  const videos = (job: GatewayJob) =>
    Array.from({ length: job.n }, (_, i) =>
      // inline_video: the gateway hands the bytes back inline, as AI SDK v4's `{type: 'base64'}` video.
      job.faults.has('inline_video')
        ? { type: 'base64', data: SAMPLE_MP4.toString('base64'), mediaType: MP4_CONTENT_TYPE }
        : { type: 'url', url: core.fileUrl(job.n === 1 ? job.id : `${job.id}-${i}`, 'mp4', job.faults), mediaType: MP4_CONTENT_TYPE },
    );

  const meta = (job: GatewayJob) => ({
    gateway: { asyncJob: { jobId: job.id, status: job.state }, generationId: job.generationId },
  });

  /** Schedules queued → running → terminal (never terminal with never_callback). */
  const run = (job: GatewayJob, onDone?: () => void) => {
    // slow_job: this job runs longer than the sandbox's jobDurationMs.
    const jobMs = (job.faults as { durationMs?: number }).durationMs ?? D;
    core.clock.after(Math.floor(jobMs / 3), () => {
      if (job.state === 'queued') job.state = 'running';
    });
    if (job.faults.has('never_callback')) return;
    core.clock.after(jobMs, () => {
      if (job.state !== 'queued' && job.state !== 'running') return;
      if (job.faults.has('moderation')) {
        job.state = 'error';
        job.error = GATEWAY_MODERATION_ERROR;
      } else if (job.faults.has('accept_then_fail')) {
        job.state = 'error';
        job.error = GATEWAY_FAILURE_ERROR;
      } else job.state = 'completed';
      onDone?.();
    });
  };

  const newJob = (modelId: string, body: Record<string, unknown>, n: number, faults: Set<FaultName>): GatewayJob => {
    const job: GatewayJob = {
      id: `job_${hexId(12)}`,
      modelId,
      n,
      body,
      callbackUrl: body.callbackUrl as string | undefined,
      faults,
      state: 'queued',
      generationId: `gen_${hexId(13)}`,
    };
    jobs.set(job.id, job);
    return job;
  };

  core.authorize = (ctx) => core.bearerOk(ctx);
  core.unauthorized = (ctx) => gwError(ctx, 401, 'authentication_error', 'Invalid API key');
  core.notFound = (ctx) => gwError(ctx, 404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);

  core.routes = [
    {
      method: 'POST',
      pattern: /^\/v\d+\/ai\/video-model\/start$/,
      operation: 'submit',
      handle: async (ctx) => {
        ctx.entry.modelId = ctx.header('ai-model-id');
        const faults = await core.submitFaults(ctx, [ctx.header('ai-model-id')], { applicable: APPLICABLE, respond });
        if (!faults) return;
        const v = validate(ctx);
        if (!v) return;
        const idemKey = ctx.header('idempotency-key');
        const existing = idemKey ? jobs.get(byIdempotencyKey.get(idemKey) ?? '') : undefined;
        const job = existing ?? newJob(v.modelId, v.body, v.n, faults);
        if (!existing) {
          if (idemKey) byIdempotencyKey.set(idemKey, job.id);
          run(job);
        }
        ctx.entry.jobId = job.id;
        core.send(ctx, 200, { operation: { gatewayJobId: job.id }, warnings: [], providerMetadata: meta(job) }, existing ? { 'idempotent-replayed': 'true' } : {});
      },
    },
    {
      method: 'POST',
      pattern: /^\/v\d+\/ai\/video-model\/status$/,
      operation: 'status',
      handle: (ctx) => {
        const body = ctx.json() as { operation?: unknown } | undefined;
        const op = body && typeof body === 'object' ? body.operation : undefined;
        const jobId = op && typeof op === 'object' ? (op as Record<string, unknown>).gatewayJobId : undefined;
        if (typeof jobId !== 'string') return gwError(ctx, 400, 'invalid_request_error', 'Invalid request: operation.gatewayJobId is required');
        const job = jobs.get(jobId);
        if (!job) return gwError(ctx, 404, 'not_found', `Async video job ${jobId} not found`);
        ctx.entry.jobId = job.id;
        ctx.entry.modelId = job.modelId;
        if (job.state === 'completed') return core.send(ctx, 200, { status: 'completed', videos: videos(job), warnings: [], providerMetadata: meta(job) });
        if (job.state === 'error') return core.send(ctx, 200, { status: 'error', error: job.error, providerMetadata: meta(job) });
        if (job.state === 'cancelled') return core.send(ctx, 200, { status: 'cancelled', providerMetadata: meta(job) });
        core.send(ctx, 200, { status: 'pending', warnings: [], providerMetadata: meta(job) });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v\d+\/ai\/video-model$/,
      operation: 'generate',
      handle: async (ctx) => {
        ctx.entry.modelId = ctx.header('ai-model-id');
        const faults = await core.submitFaults(ctx, [ctx.header('ai-model-id')], { applicable: APPLICABLE, respond });
        if (!faults) return;
        const v = validate(ctx);
        if (!v) return;
        const job = newJob(v.modelId, v.body, v.n, faults);
        ctx.entry.jobId = job.id;
        ctx.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        ctx.res.flushHeaders();
        run(job, () => {
          if (ctx.res.writableEnded || ctx.res.destroyed) return;
          const event =
            job.state === 'completed'
              ? { type: 'result', videos: videos(job), warnings: [], providerMetadata: meta(job) }
              : {
                  type: 'error',
                  message: job.error,
                  errorType: job.faults.has('moderation') ? 'content_policy_violation' : 'internal_server_error',
                  statusCode: job.faults.has('moderation') ? 400 : 500,
                  param: null,
                };
          ctx.res.end(`data: ${JSON.stringify(event)}\n\n`);
        });
      },
    },
  ];

  await core.listen();
  return { ...core.running(), name: 'vercel-gateway' };
}
