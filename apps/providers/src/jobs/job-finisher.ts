import { randomUUID } from 'node:crypto';
import { EVENTS, ProviderErrorKind, type JobProgress, type ProviderJobProgressedEvt, type ProviderJobFinishedPayload, type ProviderJobUsageEvt, type ProviderSlug, type StoredFileRef } from '@pipevideo/contracts';
import { addToOutbox } from '@pipevideo/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { JobOutcome, TokenUsage } from '../adapters/provider-adapter';
import type { JobRow } from './job-store';
import { rows } from '@pipevideo/platform';

export type FinishResult = 'finished' | 'duplicate';

/** How a job the router cancelled ends (providers.job.cancel, or a submit that finds its attempt cancelled). */
export const CANCELLED_BY_PIPEVIDEO: JobOutcome = { outcome: 'cancelled', errorMessage: 'cancelled by Pipevideo' };

export interface FinishOptions {
  /** The provider's job id as the callback/poll reported it (fills the row when the submit answer is not recorded yet). */
  providerJobId?: string;
  /** A callback delivery: recorded so the same delivery re-sent is a no-op. */
  delivery?: { provider: string; id: string };
  usage?: TokenUsage;
}

/**
 * Makes a job final exactly once. A success first becomes `storing` (no event): the poller copies the
 * output in and then calls finishStored (→ succeeded) or failStored (→ failed), each once. In ONE transaction: the delivery receipt (if any), the guarded
 * status change (only from submitting/running), the usage event (if not yet reported) and the
 * `provider_job.finished` event go to the outbox together; whoever comes second (a duplicated or
 * late callback, a poll racing a callback, a cancel) changes nothing and emits nothing.
 * Event ids are derived from the job id, so even a bug elsewhere could not publish two.
 */
export class JobFinisher {
  constructor(
    private readonly ds: DataSource,
    private readonly kick: () => void,
  ) {}

  async finish(jobId: string, o: JobOutcome, opts: FinishOptions = {}): Promise<FinishResult> {
    // Success is not the end yet: the job becomes `storing` until its output is ours (finishStored/failStored).
    const storing = o.outcome === 'succeeded';
    const result = await this.ds.transaction(async (m): Promise<FinishResult> => {
      if (opts.delivery) {
        const receipt = await rows(
          m,
          `INSERT INTO provider_callbacks (provider, delivery_id, job_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING delivery_id`,
          [opts.delivery.provider, opts.delivery.id, jobId],
        );
        if (!receipt.length) return 'duplicate';
      }
      const [row] = await rows<JobRow>(
        m,
        `UPDATE provider_jobs
            SET status = $10, outcome = $2, provider_job_id = coalesce(provider_job_id, $3),
                output_url = $4, artifact_url = $5, artifact_type = $6, error_kind = $7, error_message = $8, incomplete = $9, duration_seconds = $11,
                finished_at = CASE WHEN $10 = 'storing' THEN NULL ELSE now() END, updated_at = now(),
                next_poll_at = CASE WHEN $10 = 'storing' THEN now() ELSE NULL END, lease_owner = NULL, lease_until = NULL
          WHERE id = $1 AND status IN ('submitting', 'running')
          RETURNING *`,
        [
          jobId,
          o.outcome,
          opts.providerJobId ?? null,
          o.outputUrl ?? null,
          o.artifactUrl ?? null,
          o.artifactType ?? null,
          o.errorKind ?? null,
          o.errorMessage ? o.errorMessage.slice(0, 2000) : null,
          o.incomplete === true,
          storing ? 'storing' : o.outcome,
          o.durationSeconds ?? null,
        ],
      );
      if (!row) return 'duplicate';
      // Usage first: consumers see the tokens before the end of the job (outbox order = id order).
      if (opts.usage) await this.addUsage(m, row, opts.usage);
      if (!storing) await this.emitFinished(m, row, o, opts.usage);
      return 'finished';
    });
    if (result === 'finished') this.kick();
    return result;
  }

  /** The output is stored: the job succeeds and `provider_job.finished` names the stored files. Once (guarded by `storing`). */
  async finishStored(jobId: string, copied: { output: StoredFileRef | null; artifact: StoredFileRef | null }): Promise<FinishResult> {
    const result = await this.ds.transaction(async (m): Promise<FinishResult> => {
      const [row] = await rows<JobRow>(
        m,
        `UPDATE provider_jobs SET status = 'succeeded', finished_at = now(), updated_at = now(), next_poll_at = NULL, lease_owner = NULL, lease_until = NULL,
                output_url = CASE WHEN output_url LIKE 'data:%' THEN NULL ELSE output_url END
          WHERE id = $1 AND status = 'storing' RETURNING *`,
        [jobId],
      );
      if (!row) return 'duplicate';
      for (const [kind, f] of [['output', copied.output], ['artifact', copied.artifact]] as const) {
        if (!f) continue;
        await m.query(
          `INSERT INTO stored_outputs (key, generation_id, attempt, kind, bytes, sha256, content_type, duration_seconds, retained_until)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (key) DO UPDATE SET bytes = excluded.bytes, sha256 = excluded.sha256, content_type = excluded.content_type,
             duration_seconds = excluded.duration_seconds, stored_at = now(), retained_until = excluded.retained_until, deleted_at = NULL`,
          [f.key, row.generation_id, row.attempt, kind, f.bytes, f.sha256, f.contentType, f.durationSeconds, f.retainedUntil],
        );
      }
      await this.emitFinished(
        m,
        row,
        { outcome: 'succeeded', outputUrl: row.output_url, artifactUrl: row.artifact_url, artifactType: row.artifact_type, durationSeconds: row.duration_seconds },
        undefined,
        copied,
      );
      return 'finished';
    });
    if (result === 'finished') this.kick();
    return result;
  }

  /** The output could not be stored: the job fails (`output_store_failed`, not retried elsewhere) and the generation is refunded. */
  async failStored(jobId: string, message: string): Promise<FinishResult> {
    const result = await this.ds.transaction(async (m): Promise<FinishResult> => {
      const [row] = await rows<JobRow>(
        m,
        `UPDATE provider_jobs SET status = 'failed', outcome = 'failed', error_kind = $2, error_message = $3, finished_at = now(), updated_at = now(),
                next_poll_at = NULL, lease_owner = NULL, lease_until = NULL,
                output_url = CASE WHEN output_url LIKE 'data:%' THEN NULL ELSE output_url END
          WHERE id = $1 AND status = 'storing' RETURNING *`,
        [jobId, ProviderErrorKind.OutputStoreFailed, message.slice(0, 2000)],
      );
      if (!row) return 'duplicate';
      await this.emitFinished(m, row, { outcome: 'failed', errorKind: ProviderErrorKind.OutputStoreFailed, errorMessage: message });
      return 'finished';
    });
    if (result === 'finished') this.kick();
    return result;
  }

  private async emitFinished(
    m: EntityManager,
    row: JobRow,
    o: JobOutcome,
    reported?: TokenUsage,
    copied?: { output: StoredFileRef | null; artifact: StoredFileRef | null },
  ): Promise<void> {
    const usage = reported ?? (row.usage_reported && row.input_tokens !== null && row.output_tokens !== null ? { inputTokens: row.input_tokens, outputTokens: row.output_tokens } : null);
    const evt: ProviderJobFinishedPayload = {
      v: 1,
      eventId: `${row.id}:finished`,
      generationId: row.generation_id,
      attempt: row.attempt,
      provider: row.provider as ProviderSlug,
      providerJobId: row.provider_job_id ?? '',
      outcome: o.outcome,
      // The provider's URL is kept for operators; never a data: URI (it may be megabytes), never shown to customers.
      outputUrl: o.outputUrl && !o.outputUrl.startsWith('data:') ? o.outputUrl : null,
      artifactUrl: o.artifactUrl ?? null,
      artifactType: o.artifactType ?? null,
      errorKind: (o.errorKind ?? null) as ProviderErrorKind | null,
      errorMessage: o.errorMessage ?? null,
      durationSeconds: o.durationSeconds ?? null,
      ...(copied ? { output: copied.output, artifact: copied.artifact } : {}),
      ...(usage ? { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } } : {}),
      ...(o.incomplete ? { incomplete: true } : {}),
      ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    };
    await addToOutbox(m, EVENTS.providerJobFinished, evt);
  }

  /**
   * Records a running job's progress and emits `provider_job.progressed` when it changed (the same
   * progress seen again emits nothing). Only while the job runs: a late report changes nothing.
   */
  async reportProgress(jobId: string, progress: JobProgress): Promise<boolean> {
    const p: JobProgress = { percent: Math.max(0, Math.min(100, Math.round(progress.percent))), queuePosition: progress.queuePosition ?? null, phase: progress.phase ?? null };
    const emitted = await this.ds.transaction(async (m) => {
      const [row] = await rows<JobRow>(
        m,
        `UPDATE provider_jobs SET progress = $2::jsonb, updated_at = now()
          WHERE id = $1 AND status IN ('submitting', 'running', 'storing') AND progress IS DISTINCT FROM $2::jsonb RETURNING *`,
        [jobId, JSON.stringify(p)],
      );
      if (!row) return false;
      const evt: ProviderJobProgressedEvt = {
        v: 1,
        eventId: `${row.id}:progress:${randomUUID()}`,
        generationId: row.generation_id,
        attempt: row.attempt,
        progress: p,
        ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
      };
      await addToOutbox(m, EVENTS.providerJobProgressed, evt);
      return true;
    });
    if (emitted) this.kick();
    return emitted;
  }

  /** Emits `provider_job.usage_reported` the first time usage is seen for a job; later calls do nothing. */
  async reportUsage(jobId: string, usage: TokenUsage): Promise<boolean> {
    const emitted = await this.ds.transaction(async (m) => {
      const [row] = await rows<JobRow>(m, `SELECT * FROM provider_jobs WHERE id = $1 FOR UPDATE`, [jobId]);
      if (!row) return false;
      return this.addUsage(m, row, usage);
    });
    if (emitted) this.kick();
    return emitted;
  }

  private async addUsage(m: EntityManager, row: JobRow, usage: TokenUsage): Promise<boolean> {
    const flipped = await rows(
      m,
      `UPDATE provider_jobs SET usage_reported = true, input_tokens = $2, output_tokens = $3, updated_at = now()
        WHERE id = $1 AND NOT usage_reported RETURNING id`,
      [row.id, usage.inputTokens, usage.outputTokens],
    );
    if (!flipped.length) return false;
    const evt: ProviderJobUsageEvt = {
      v: 1,
      eventId: `${row.id}:usage`,
      generationId: row.generation_id,
      attempt: row.attempt,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    };
    await addToOutbox(m, EVENTS.providerJobUsageReported, evt);
    return true;
  }
}
