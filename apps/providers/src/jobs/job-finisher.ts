import { EVENTS, type ProviderErrorKind, type ProviderJobFinishedPayload, type ProviderJobUsageEvt, type ProviderSlug } from '@pipevideo/contracts';
import { addToOutbox } from '@pipevideo/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { JobOutcome, TokenUsage } from '../adapters/provider-adapter';
import type { JobRow } from './job-store';
import { rows } from '@pipevideo/platform';

export type FinishResult = 'finished' | 'duplicate';

export interface FinishOptions {
  /** The provider's job id as the callback/poll reported it (fills the row when the submit answer is not recorded yet). */
  providerJobId?: string;
  /** A callback delivery: recorded so the same delivery re-sent is a no-op. */
  delivery?: { provider: string; id: string };
  usage?: TokenUsage;
}

/**
 * Makes a job final exactly once. In ONE transaction: the delivery receipt (if any), the guarded
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
            SET status = $2, outcome = $2, provider_job_id = coalesce(provider_job_id, $3),
                output_url = $4, artifact_url = $5, artifact_type = $6, error_kind = $7, error_message = $8, incomplete = $9,
                finished_at = now(), updated_at = now(), next_poll_at = NULL, lease_owner = NULL, lease_until = NULL
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
        ],
      );
      if (!row) return 'duplicate';
      // Usage first: consumers see the tokens before the end of the job (outbox order = id order).
      if (opts.usage) await this.addUsage(m, row, opts.usage);
      const usage = opts.usage ?? (row.usage_reported && row.input_tokens !== null && row.output_tokens !== null ? { inputTokens: row.input_tokens, outputTokens: row.output_tokens } : null);
      const evt: ProviderJobFinishedPayload = {
        v: 1,
        eventId: `${row.id}:finished`,
        generationId: row.generation_id,
        attempt: row.attempt,
        provider: row.provider as ProviderSlug,
        providerJobId: row.provider_job_id ?? '',
        outcome: o.outcome,
        outputUrl: o.outputUrl ?? null,
        artifactUrl: o.artifactUrl ?? null,
        artifactType: o.artifactType ?? null,
        errorKind: (o.errorKind ?? null) as ProviderErrorKind | null,
        errorMessage: o.errorMessage ?? null,
        durationSeconds: o.durationSeconds ?? null,
        ...(usage ? { usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens } } : {}),
        ...(o.incomplete ? { incomplete: true } : {}),
        ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
      };
      await addToOutbox(m, EVENTS.providerJobFinished, evt);
      return 'finished';
    });
    if (result === 'finished') this.kick();
    return result;
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
