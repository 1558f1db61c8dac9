import type { VideoModel } from '../catalog/catalog';
import type { GenerationRow } from '../generations/generation.types';

import type { OpenAIVideoStatus, OpenAIVideoView } from '@pipevideo/contracts';

export type { OpenAIVideoStatus };

/**
 * `progress` derived from the status (no provider reports a percentage we keep yet): 0 queued, 50 in
 * progress, 100 completed; a failed or cancelled video shows 0 (nothing was made).
 */
const PROGRESS: Record<OpenAIVideoStatus, number> = { queued: 0, in_progress: 50, completed: 100, failed: 0 };

/** Provider output URLs are signed for about a day; the same window as the Responses API's `expires_at`. */
export const OUTPUT_TTL_SECONDS = 24 * 3600;

const unix = (d: Date | null | undefined) => (d ? Math.floor(new Date(d).getTime() / 1000) : null);

export function openaiStatusOf(g: Pick<GenerationRow, 'status'>): OpenAIVideoStatus {
  switch (g.status) {
    case 'pending':
      return 'queued';
    case 'processing':
      return 'in_progress';
    case 'completed':
      return 'completed';
    default:
      return 'failed';
  }
}

/** Short side in pixels of a resolution name: "720p" → 720, "4k" → 2160. */
function shortSide(resolution: string): number | null {
  const p = /^(\d{3,4})p$/i.exec(resolution);
  if (p) return Number(p[1]);
  const k = /^([1-8])k$/i.exec(resolution);
  return k ? Math.round((Number(k[1]) * 2160) / 4) : null;
}

/** OpenAI's `size` ("1280x720") of a resolution and an aspect ratio: the short side is the resolution. */
export function sizeOf(resolution: string | null | undefined, aspectRatio: string | null | undefined): string | null {
  const side = resolution ? shortSide(resolution) : null;
  const m = aspectRatio ? /^(\d{1,2}):(\d{1,2})$/.exec(aspectRatio) : null;
  if (!side || !m) return null;
  const [w, h] = [Number(m[1]), Number(m[2])];
  if (!w || !h) return null;
  const even = (x: number) => Math.round(x / 2) * 2;
  return w >= h ? `${even((side * w) / h)}x${side}` : `${side}x${even((side * h) / w)}`;
}

/**
 * A video generation as OpenAI's Videos API shows it (`client.videos.retrieve`): the same row the
 * `/v1/video/generations` face shows, in OpenAI's vocabulary. `seconds` and `size` are what is (or will
 * be) made on the route in use, else the first candidate; the aspect ratio is the request's, else the
 * model's first (its default).
 */
export function openaiVideoView(g: GenerationRow, model?: Pick<VideoModel, 'aspectRatios'>): OpenAIVideoView {
  const status = openaiStatusOf(g);
  const made = g.candidates.find((c) => c.routeId === g.route_id) ?? g.candidates[0];
  const completedAt = g.status === 'completed' ? unix(g.completed_at) : null;
  const aspectRatio = (g.request.aspectRatio as string | undefined) ?? model?.aspectRatios[0];
  return {
    id: g.id,
    object: 'video' as const,
    status,
    progress: PROGRESS[status],
    model: g.model ?? g.requested_model,
    prompt: typeof g.request.prompt === 'string' ? g.request.prompt : null,
    seconds: made?.durationSeconds != null ? String(made.durationSeconds) : null,
    size: sizeOf(made?.resolution ?? (g.request.resolution as string | undefined), aspectRatio),
    created_at: unix(g.created_at)!,
    completed_at: completedAt ?? (status === 'failed' ? unix(g.completed_at) : null),
    // OpenAI's `expires_at`: when the video's file goes away — the end of our retention (older rows: the provider's day).
    expires_at: completedAt === null ? null : g.output_file ? Math.floor(new Date(g.output_file.retainedUntil).getTime() / 1000) : completedAt + OUTPUT_TTL_SECONDS,
    error:
      g.status === 'cancelled'
        ? { code: 'cancelled', message: 'The video was cancelled (deleted while it was running); nothing was charged.' }
        : status === 'failed'
          ? { code: g.error_code ?? 'generation_failed', message: g.error_message ?? 'The generation failed; nothing was charged.' }
          : null,
    remixed_from_video_id: null,
  };
}

export type OpenAIVideo = OpenAIVideoView;
