import { hexId } from '../common/ids';
import { LOTTIE_CONTENT_TYPE } from '../common/media';
import { SandboxCore, type Ctx } from '../common/server';
import type { FaultName, FramerateSandboxOptions, RunningFramerateSandbox } from '../types';

/**
 * Framerate — the engine provider behind /v1/responses. Not a public API: this sandbox IS its contract.
 *   POST /v1/jobs              → 201 job (status "queued")
 *   GET  /v1/jobs/{id}         → job
 *   POST /v1/jobs/{id}/cancel  → job (status "cancelled")
 * Stages: queued → composing → rendering → completed. See README.md.
 */

export type FramerateEngine = 'hyperframes' | 'lottie';
export type FramerateStatus = 'queued' | 'composing' | 'rendering' | 'completed' | 'failed' | 'cancelled' | 'incomplete';
const TERMINAL: FramerateStatus[] = ['completed', 'failed', 'cancelled', 'incomplete'];

export interface FramerateUsage {
  input_tokens: number;
  output_tokens: number;
}

export interface FramerateJob {
  id: string;
  object: 'framerate.job';
  engine: FramerateEngine;
  model: string;
  status: FramerateStatus;
  width: number;
  height: number;
  aspect_ratio: string | null;
  expand_prompt: boolean;
  /** The output cap the job was submitted with (null: none); reported output tokens never exceed it. */
  max_output_tokens: number | null;
  usage: FramerateUsage | null;
  result: { video_url: string; artifact_url?: string; artifact_media_type?: string } | null;
  error: { code: string; message: string } | null;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds, set on any terminal status. */
  completed_at: number | null;
}

/** Characters of prompt text in `input` (string, or message items with string / input_text content) plus instructions. */
export function framerateInputChars(input: unknown, instructions?: unknown): number {
  let chars = typeof instructions === 'string' ? instructions.length : 0;
  const part = (p: unknown): void => {
    if (typeof p === 'string') chars += p.length;
    else if (p && typeof p === 'object') {
      const o = p as Record<string, unknown>;
      if (typeof o.text === 'string') chars += o.text.length;
      if (typeof o.content === 'string') chars += o.content.length;
      else if (Array.isArray(o.content)) o.content.forEach(part);
    }
  };
  if (typeof input === 'string') chars += input.length;
  else if (Array.isArray(input)) input.forEach(part);
  return chars;
}

/**
 * Deterministic token usage the sandbox reports: input = 100 + chars, output = 300 + 2 × chars, at most
 * `maxOutputTokens` (the orchestration model stops writing at its output cap, as a real one does).
 */
export function framerateUsageFor(input: unknown, instructions?: unknown, maxOutputTokens?: number | null): FramerateUsage {
  const chars = framerateInputChars(input, instructions);
  const output = 300 + 2 * chars;
  return { input_tokens: 100 + chars, output_tokens: maxOutputTokens ? Math.min(output, maxOutputTokens) : output };
}

const APPLICABLE: FaultName[] = ['down', 'rate_limited', 'bad_request', 'garbage', 'slow', 'moderation', 'accept_then_fail', 'never_callback', 'incomplete', 'bad_output', 'file_flaky'];

export async function startFramerateSandbox(o: FramerateSandboxOptions = {}): Promise<RunningFramerateSandbox> {
  const core = new SandboxCore('framerate', o);
  const half = o.jobDurationMs !== undefined ? Math.round(o.jobDurationMs / 2) : 200;
  const queueMs = o.queueMs ?? 50;
  const composeMs = o.composeMs ?? half;
  const renderMs = o.renderMs ?? half;
  const jobs = new Map<string, FramerateJob>();
  const jobFaults = new Map<string, Set<FaultName>>();

  const err = (ctx: Ctx, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    core.send(ctx, status, { error: { code, message } }, headers);

  const respond = (ctx: Ctx, fault: FaultName): void => {
    if (fault === 'down') return err(ctx, 503, 'service_unavailable', 'Framerate is temporarily unavailable');
    if (fault === 'rate_limited') return err(ctx, 429, 'rate_limited', 'Too many requests', { 'retry-after': '1' });
    err(ctx, 400, 'invalid_request', 'input is required');
  };

  const end = (job: FramerateJob, status: FramerateStatus, fields: Partial<FramerateJob> = {}) => {
    if (TERMINAL.includes(job.status)) return;
    Object.assign(job, fields);
    job.status = status;
    job.completed_at = Math.floor(Date.now() / 1000);
  };

  core.authorize = (ctx) => core.bearerOk(ctx);
  core.unauthorized = (ctx) => err(ctx, 401, 'unauthorized', 'Invalid or missing API key');
  core.notFound = (ctx) => err(ctx, 404, 'not_found', `No route for ${ctx.method} ${ctx.path}`);
  core.lottieSize = (id) => {
    const j = jobs.get(id);
    return j ? { w: j.width, h: j.height } : undefined;
  };

  const getJob = (ctx: Ctx, id: string): FramerateJob | undefined => {
    const j = jobs.get(id);
    if (j) {
      ctx.entry.jobId = j.id;
      ctx.entry.modelId = j.model;
    }
    return j;
  };

  core.routes = [
    {
      method: 'POST',
      pattern: /^\/v1\/jobs$/,
      operation: 'submit',
      handle: async (ctx) => {
        const body = ctx.json();
        const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
        const model = typeof b?.model === 'string' ? b.model : undefined;
        const engineRaw = b?.engine ?? 'hyperframes';
        ctx.entry.modelId = model;
        const faults = await core.submitFaults(ctx, [model, typeof engineRaw === 'string' ? engineRaw : undefined], { applicable: APPLICABLE, respond });
        if (!faults) return;
        if (!b) return err(ctx, 400, 'invalid_request', 'body must be a JSON object');
        if (engineRaw !== 'hyperframes' && engineRaw !== 'lottie') return err(ctx, 400, 'unsupported_engine', 'engine must be hyperframes or lottie');
        if (!model || !model.trim()) return err(ctx, 400, 'invalid_request', 'model is required');
        const input = b.input;
        const inputOk = (typeof input === 'string' && input.trim().length > 0) || (Array.isArray(input) && input.length > 0);
        if (!inputOk) return err(ctx, 400, 'invalid_request', 'input is required (string or non-empty array of message items)');
        if (b.instructions !== undefined && typeof b.instructions !== 'string') return err(ctx, 400, 'invalid_request', 'instructions must be a string');
        const dim = (v: unknown, d: number) => (v === undefined ? d : v);
        const width = dim(b.width, 1080);
        const height = dim(b.height, 1920);
        for (const [k, v] of [['width', width], ['height', height]] as const) {
          if (!Number.isInteger(v) || (v as number) < 16 || (v as number) > 4096) return err(ctx, 400, 'invalid_request', `${k} must be an integer between 16 and 4096`);
        }
        const cap = b.max_output_tokens;
        if (cap !== undefined && cap !== null && (!Number.isInteger(cap) || (cap as number) < 1)) {
          return err(ctx, 400, 'invalid_request', 'max_output_tokens must be a positive integer');
        }
        const aspect = b.aspect_ratio ?? b.aspectRatio;
        if (aspect !== undefined && (typeof aspect !== 'string' || !/^\d+:\d+$/.test(aspect))) {
          return err(ctx, 400, 'invalid_request', 'aspect_ratio must look like 16:9');
        }
        const job: FramerateJob = {
          id: `job_${hexId(12)}`,
          object: 'framerate.job',
          engine: engineRaw,
          model,
          status: 'queued',
          width: width as number,
          height: height as number,
          aspect_ratio: (aspect as string | undefined) ?? null,
          expand_prompt: b.expand_prompt === true,
          max_output_tokens: (cap as number | undefined) ?? null,
          usage: null,
          result: null,
          error: null,
          created_at: Math.floor(Date.now() / 1000),
          completed_at: null,
        };
        jobs.set(job.id, job);
        jobFaults.set(job.id, faults);
        ctx.entry.jobId = job.id;
        const usage = framerateUsageFor(input, b.instructions, job.max_output_tokens);

        core.clock.after(queueMs, () => {
          if (job.status !== 'queued') return;
          job.status = 'composing';
          core.clock.after(composeMs, () => {
            if (job.status !== 'composing') return;
            if (faults.has('moderation')) {
              return end(job, 'failed', { error: { code: 'content_policy_violation', message: 'The orchestration model refused the request under the content policy.' } });
            }
            job.usage = usage;
            job.status = 'rendering';
            if (faults.has('never_callback')) return; // stuck in rendering forever
            core.clock.after(renderMs, () => {
              if (job.status !== 'rendering') return;
              if (faults.has('accept_then_fail')) return end(job, 'failed', { error: { code: 'render_failed', message: 'The renderer crashed while encoding the video.' } });
              if (faults.has('incomplete')) {
                return end(job, 'incomplete', { error: { code: 'incomplete', message: 'Composition stopped before the project was complete (output token limit reached).' } });
              }
              end(job, 'completed', {
                result:
                  job.engine === 'lottie'
                    ? { video_url: core.fileUrl(job.id, 'mp4', faults), artifact_url: core.fileUrl(job.id, 'lottie', faults), artifact_media_type: LOTTIE_CONTENT_TYPE }
                    : { video_url: core.fileUrl(job.id, 'mp4', faults) },
              });
            });
          });
        });
        core.send(ctx, 201, job, { location: `${core.url}/v1/jobs/${job.id}` });
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/jobs\/([^/]+)$/,
      operation: 'status',
      handle: (ctx, m) => {
        const job = getJob(ctx, m[1]);
        if (!job) return err(ctx, 404, 'not_found', `Job ${m[1]} not found`);
        // While queued: the jobs queued before this one.
        const ahead = job.status === 'queued' ? [...jobs.values()].filter((o) => o.status === 'queued' && o.created_at <= job.created_at && o.id !== job.id).length : undefined;
        core.send(ctx, 200, ahead === undefined ? job : { ...job, queue_position: ahead });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/jobs\/([^/]+)\/cancel$/,
      operation: 'cancel',
      handle: (ctx, m) => {
        const job = getJob(ctx, m[1]);
        if (!job) return err(ctx, 404, 'not_found', `Job ${m[1]} not found`);
        if (TERMINAL.includes(job.status)) return err(ctx, 409, 'job_finished', `Job ${job.id} is already ${job.status}`);
        end(job, 'cancelled');
        core.send(ctx, 200, job);
      },
    },
  ];

  await core.listen();
  return { ...core.running(), name: 'framerate' };
}
