import {
  generationFailureMessage, MODEL_SKIPPING_PROVIDER_ERRORS, ProviderJobFinishedEvt, type ProviderJobProgressedEvt, ProviderJobUsageEvt, publicGenerationErrorCode, RETRYABLE_PROVIDER_ERRORS, ProviderErrorKind,
} from '@pipevideo/contracts';
import { logger, processOnce } from '@pipevideo/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { GenerationStore } from './generation.store';
import { skipModel } from './dispatcher';
import type { GenerationRow } from './generation.types';

export interface CompletionPorts {
  /** Re-dispatch after a provider failed an accepted job and another route may serve. */
  redispatch(id: string): void;
  onFallback(reason: string): void;
  /** Responses API: price the orchestration tokens and post the charge for their full cost (idempotent). */
  chargeTokens(g: GenerationRow, inputTokens: number, outputTokens: number): Promise<{ costCents: number; costUsd: number }>;
  /** Responses API: the tokens the no-usage rule charges a job that completed without a usage report. */
  unreportedUsage(g: GenerationRow): { inputTokens: number; outputTokens: number };
  /** Counts a job charged by the no-usage rule (called once per job, after the charge committed). */
  onUnreportedUsage(g: GenerationRow): void;
  /** The provider's final answer for a route (route health): success with its time to completion, or a failure kind. */
  onRouteOutcome(routeId: string, outcome: { ok: true; completionMs: number } | { ok: false; kind: string }): void;
  /** Cost to capture when a video generation completes. */
  videoCost(g: GenerationRow, durationSeconds: number | null | undefined): number;
}

/**
 * Applies provider outcomes to generations. Each event is applied once (inbox), and only when it
 * belongs to the generation's current attempt while it is processing: a duplicated or late callback
 * (after a timeout, or for an abandoned attempt) changes nothing and captures nothing.
 */
export class CompletionHandler {
  constructor(
    private readonly ds: DataSource,
    private readonly store: GenerationStore,
    private readonly ports: CompletionPorts,
  ) {}

  async onJobFinished(evt: ProviderJobFinishedEvt): Promise<void> {
    let redispatch = false;
    let unreported: GenerationRow | undefined;
    let observed: { routeId: string; startedAt: Date } | undefined;
    await processOnce(this.ds, 'router.job-finished', evt.eventId, async (m) => {
      observed = undefined;
      const g = await this.store.getById(evt.generationId, m, true);
      if (!g || g.attempt !== evt.attempt) return;
      throwIfStillSubmitting(g);
      // The usage event may not have been applied yet (another consumer): charge the tokens from here.
      if (evt.usage) await this.chargeTokensOnce(g, evt.usage.inputTokens, evt.usage.outputTokens, m);
      if (g.status !== 'processing' || g.needs_dispatch) return;
      // Only the outcome that is applied (once, to the current attempt) counts for the route's health.
      const att = await this.store.attemptRoute(g.id, g.attempt, m);
      if (att && evt.outcome !== 'cancelled') observed = { routeId: att.route_id, startedAt: new Date(att.started_at) };
      if (evt.outcome === 'succeeded') {
        // Done and never reported its usage (not here, not in a usage event before): charged by the
        // written rule (token-hold.ts), not 0. Once: the row is locked and `tokens_charged` guards it.
        if (g.api === 'responses' && !g.tokens_charged) {
          const rule = this.ports.unreportedUsage(g);
          await this.chargeTokensOnce(g, rule.inputTokens, rule.outputTokens, m, true);
          unreported = g;
        }
        const cost = g.api === 'responses' ? g.cost_cents ?? 0 : this.ports.videoCost(g, evt.durationSeconds);
        await this.store.recordAttemptOutcome(g.id, g.attempt, 'succeeded', m);
        await this.store.finish(
          g.id,
          { status: 'completed', outputUrl: evt.outputUrl ?? null, artifactUrl: evt.artifactUrl ?? null, artifactType: evt.artifactType ?? null, outputFile: evt.output ?? null, artifactFile: evt.artifact ?? null, costCents: cost, holdId: g.hold_id },
          m,
        );
        return;
      }
      const kind = (evt.errorKind ?? ProviderErrorKind.ServerError) as ProviderErrorKind;
      const message = evt.errorMessage ?? 'provider reported a failure';
      const incomplete = /incomplete/i.test(kind) || /incomplete/i.test(message);
      const next = MODEL_SKIPPING_PROVIDER_ERRORS.has(kind) ? skipModel(g.candidates, g.next_candidate - 1) : g.next_candidate;
      const canFallBack = g.api === 'video' && RETRYABLE_PROVIDER_ERRORS.has(kind) && next < g.candidates.length;
      if (canFallBack) {
        await this.store.setNextCandidate(g.id, next, m);
        await this.store.endAttempt(g, g.attempt, 'failed', kind, message, true, m);
        await this.store.setNeedsDispatch(g.id, m);
        this.ports.onFallback(kind);
        redispatch = true;
        return;
      }
      await this.store.recordAttemptOutcome(g.id, g.attempt, 'failed', m, { kind, message });
      // The provider's own words stay in the attempt record (above) and the log; the customer reads ours.
      const code = incomplete && g.api === 'responses' ? 'incomplete' : publicGenerationErrorCode(kind, 'reported');
      logger.warn({ generationId: g.id, attempt: g.attempt, provider: g.provider, kind, detail: message.slice(0, 1000) }, 'provider reported a failure');
      await this.store.finish(
        g.id,
        { status: incomplete && g.api === 'responses' ? 'incomplete' : 'failed', errorMessage: generationFailureMessage(code, 'reported'), errorCode: code, holdId: g.hold_id },
        m,
      );
    });
    if (unreported) this.ports.onUnreportedUsage(unreported);
    if (observed) {
      this.ports.onRouteOutcome(
        observed.routeId,
        evt.outcome === 'succeeded'
          ? { ok: true, completionMs: Date.now() - observed.startedAt.getTime() }
          : { ok: false, kind: evt.errorKind ?? ProviderErrorKind.ServerError },
      );
    }
    if (redispatch) this.ports.redispatch(evt.generationId);
  }

  /** A running job moved on: its generation shows the progress (current attempt, still running, once per event). */
  async onProgress(evt: ProviderJobProgressedEvt): Promise<void> {
    await processOnce(this.ds, 'router.job-progressed', evt.eventId, async (m) => {
      await this.store.recordProgress(evt.generationId, evt.attempt, evt.progress, m);
    });
  }

  /** Framerate finished composing: the token charge is posted now, before the render completes (spec 001). */
  async onUsageReported(evt: ProviderJobUsageEvt): Promise<void> {
    await processOnce(this.ds, 'router.usage-reported', evt.eventId, async (m) => {
      const g = await this.store.getById(evt.generationId, m, true);
      if (!g || g.attempt !== evt.attempt) return;
      throwIfStillSubmitting(g);
      await this.chargeTokensOnce(g, evt.inputTokens, evt.outputTokens, m);
    });
  }

  /**
   * Posts a Responses job's token charge unless already posted (`g` is updated to match). The
   * orchestration ran, so it is billed while the job is processing and also when the customer
   * cancelled while its usage was on the way (billing charges a released hold from the balance); a
   * job that failed or timed out is not charged (its refund has been posted).
   */
  private async chargeTokensOnce(g: GenerationRow, inputTokens: number, outputTokens: number, m: EntityManager, estimated = false): Promise<void> {
    if (g.api !== 'responses' || g.tokens_charged || (g.status !== 'processing' && g.status !== 'cancelled')) return;
    const { costCents, costUsd } = await this.ports.chargeTokens(g, inputTokens, outputTokens);
    await this.store.recordTokens(g.id, { inputTokens, outputTokens, costCents, costUsd, estimated }, m);
    Object.assign(g, { tokens_charged: true, input_tokens: inputTokens, output_tokens: outputTokens, cost_cents: costCents, token_cost_usd: costUsd, usage_estimated: estimated });
  }
}

/**
 * A provider may call back before its submit call has returned (providers accept callbacks for jobs
 * still `submitting`), so the outcome of the current attempt can arrive while the dispatcher has not
 * yet recorded the submission. Dropping it would leave the generation processing until its timeout;
 * throwing rolls the inbox back and the event is redelivered (with backoff) once the submission is
 * recorded — or finds another attempt current if the dispatch was abandoned, and is then ignored.
 */
function throwIfStillSubmitting(g: GenerationRow): void {
  if (g.needs_dispatch && (g.status === 'pending' || g.status === 'processing'))
    throw new Error(`attempt ${g.attempt} of ${g.id} is still being submitted; the event will be redelivered`);
}
