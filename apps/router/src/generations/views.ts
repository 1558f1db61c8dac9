import { publicGenerationErrorCode, publicProviderName, type AttemptView, type ResponseUsageView, type ResponseView, type VideoGenerationView } from '@pipevideo/contracts';
import { responseStatusOf } from './lifecycle';
import type { AttemptRow, GenerationRow } from './generation.types';
import { NO_LINKS, type GenerationLinks } from './output-links';
import { progressView } from './progress';

const unix = (d: Date | string | null) => (d ? Math.floor(new Date(d).getTime() / 1000) : null);
const latency = (g: GenerationRow) => (g.completed_at && g.status === 'completed' ? new Date(g.completed_at).getTime() - new Date(g.created_at).getTime() : null);

/**
 * One routing attempt as customers see it: the public provider name and the public error code. The
 * route id, the provider's job id and its own error text stay in `generation_attempts` (operators).
 */
export function attemptView(a: AttemptRow): AttemptView {
  const failed = a.outcome !== null && a.outcome !== 'succeeded' && a.outcome !== 'cancelled';
  return {
    attempt: a.attempt,
    model: a.model,
    provider: publicProviderName(a.provider),
    outcome: a.outcome ?? 'in_progress',
    error_code: !failed ? null : a.outcome === 'reservation_failed' ? 'reservation_failed' : a.outcome === 'abandoned' ? 'provider_unavailable' : publicGenerationErrorCode(a.error_kind, a.outcome === 'timed_out' ? 'reported' : 'submission'),
    started_at: unix(a.started_at),
    ended_at: unix(a.ended_at),
  };
}

/**
 * `GET /v1/video/generations/{id}` (and each list item, and the webhook's `data.generation`): spec 004's
 * poll fields, plus `provider`, `error_code`, `duration`, `resolution` and the `attempts` extension.
 */
export function videoGenerationView(g: GenerationRow, attempts: AttemptRow[], links: GenerationLinks = NO_LINKS): VideoGenerationView {
  // What is (or will be) made and billed: the route in use, else the first candidate.
  const made = g.candidates.find((c) => c.routeId === g.route_id) ?? g.candidates[0];
  const failed = g.status === 'failed';
  return {
    id: g.id,
    status: g.status,
    model: g.model ?? g.requested_model,
    provider: publicProviderName(g.provider),
    // Our signed link to the stored file (docs/outputs.md): `expires_at` is when it stops working;
    // after `retained_until` the file is deleted and `output_url` is null (…/content answers 410).
    output_url: links.output?.url ?? null,
    expires_at: links.output?.expires_at ?? null,
    retained_until: links.retainedUntil,
    ...progressView(g),
    cost_cents: g.status === 'completed' ? g.cost_cents : null,
    duration: made?.durationSeconds ?? null,
    resolution: made?.resolution ?? null,
    latency_ms: latency(g),
    error_message: failed ? g.error_message : null,
    error_code: failed ? publicGenerationErrorCode(g.error_code) : null,
    created_at: unix(g.created_at),
    completed_at: unix(g.completed_at),
    attempts: attempts.map(attemptView),
  };
}

/**
 * `usage` of a response: spec 002's token counts and `cost_usd`, plus what the ledger charged.
 * - `cost_usd`: the exact cost of the tokens at the published per-million rates (fractional, as priced
 *   when charged), 0 when nothing stands charged (a failed job is refunded);
 * - `charged_cents`: the whole cents charged for them (the cost rounded up), 0 when refunded;
 * - `estimated`: true when the provider reported no usage and the counts are the no-usage rule's
 *   (estimated input + output cap), see `responses/token-hold.ts`.
 */
export function responseUsage(g: GenerationRow): ResponseUsageView | null {
  if (g.input_tokens === null || g.output_tokens === null) return null;
  const chargedCents = g.cost_cents ?? 0;
  // Rows charged before the exact cost was kept only know the cents.
  const costUsd = chargedCents > 0 ? g.token_cost_usd ?? chargedCents / 100 : 0;
  return {
    input_tokens: g.input_tokens,
    output_tokens: g.output_tokens,
    total_tokens: g.input_tokens + g.output_tokens,
    cost_usd: costUsd,
    charged_cents: chargedCents,
    estimated: g.usage_estimated === true,
  };
}

/** The Responses API object exactly as spec 002 shows it. */
export function responseView(g: GenerationRow, links: GenerationLinks = NO_LINKS): ResponseView {
  const status = responseStatusOf(g.status);
  const done = g.status === 'completed';
  const completedAt = g.completed_at ? new Date(g.completed_at).getTime() : null;
  const usage = responseUsage(g);
  const messageStatus = done ? 'completed' : g.status === 'pending' || g.status === 'processing' ? 'in_progress' : 'incomplete';
  return {
    id: g.id,
    object: 'response' as const,
    status,
    model: g.requested_model,
    engine: g.request.engine ?? null,
    provider: publicProviderName(g.provider ?? g.candidates[0]?.provider ?? null),
    created_at: unix(g.created_at),
    completed_at: completedAt,
    instructions: g.request.instructions ?? null,
    // OpenAI's field: the output cap the job runs (and is held) with, the default included.
    max_output_tokens: g.request.max_output_tokens ?? null,
    output: [
      {
        type: 'message' as const,
        id: `${g.id}_msg`,
        role: 'assistant' as const,
        status: messageStatus,
        content: done && links.output ? [{ type: 'output_video', video_url: { url: links.output.url, expires_at: links.output.expires_at } }] : [],
      },
    ],
    output_video_url: done ? links.output?.url ?? null : null,
    retained_until: links.retainedUntil,
    ...progressView(g),
    // spec 002 types artifact_url as an object: the artifact's URL with its expiry, like output_video's video_url.
    artifact_url: done && links.artifact ? links.artifact : null,
    artifact_type: done ? g.artifact_type : null,
    usage,
    latency_ms: latency(g),
    error: g.status === 'failed' || g.status === 'incomplete' ? { code: publicGenerationErrorCode(g.error_code), message: g.error_message ?? 'Provider returned failure' } : null,
    incomplete_details: g.status === 'incomplete' ? { reason: g.error_message ?? 'Provider returned failure' } : null,
    // OpenAI echoes the request's metadata; so do we.
    metadata: (g.request.metadata as Record<string, string> | undefined) ?? {},
  };
}
