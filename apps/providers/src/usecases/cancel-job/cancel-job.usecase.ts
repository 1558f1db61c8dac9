import type { CancelJobResult, UpstreamCancelResult } from '@pipevideo/contracts';
import { currentCorrelationId, logger, withCorrelationId } from '@pipevideo/platform';
import type { AdapterSet } from '../../jobs/adapter-set';
import { CANCELLED_BY_PIPEVIDEO, type JobFinisher } from '../../jobs/job-finisher';
import type { JobRow, JobStore } from '../../jobs/job-store';
import type { ProviderKeys } from '../../byok/provider-keys';

/**
 * `providers.job.cancel`: the job is final on our side (outcome `cancelled`, one
 * `provider_job.finished` event; polling stops; a late callback is a duplicate), then a best-effort
 * cancel upstream.
 * A job still being submitted is marked cancelled; the submit cancels upstream when it returns.
 * An attempt not submitted yet is remembered (a tombstone in cancelled_attempts, written before the job
 * is looked for): its submit, if it still comes, starts nothing, or — when its row was inserted just
 * before the tombstone and after this cancel looked — ends the job cancelled as soon as the provider
 * answers (JobStore.recordSubmitted, SubmitJobUseCase). Either way no upstream job runs for nothing.
 * The upstream call and its logs run under the job's correlation id (the request that created the
 * generation), not the canceller's: the router's sweeper cancels from no request at all.
 */
export class CancelJobUseCase {
  constructor(
    private readonly adapters: AdapterSet,
    private readonly store: JobStore,
    private readonly finisher: JobFinisher,
    private readonly keys?: ProviderKeys,
  ) {}

  async execute(generationId: string, attempt: number): Promise<CancelJobResult> {
    // Tombstone first, then look: a submit that inserts its row after this look sees the tombstone.
    await this.store.recordCancelledAttempt(generationId, attempt);
    const row = await this.store.byAttempt(generationId, attempt);
    if (!row || (row.status !== 'running' && row.status !== 'submitting')) return { cancelled: false };
    return withCorrelationId(row.correlation_id ?? currentCorrelationId(), () => this.cancelJob(row));
  }

  private async cancelJob(read: JobRow): Promise<CancelJobResult> {
    // Final on our side first: the provider's own "canceled" callback, which may arrive while the
    // upstream cancel is still answering, then finds the job cancelled by us (a duplicate), instead of
    // ending it as a cancel from outside Pipevideo.
    const r = await this.finisher.finish(read.id, CANCELLED_BY_PIPEVIDEO);
    // Read while `submitting`, the row had no handle; its submit may have recorded one (and made the job
    // `running`) between that read and our finish, and then it does not cancel upstream: we must, with
    // the handle read now. (A submit that records it after our finish cancels too: twice is harmless.)
    const row = r === 'finished' && !read.handle ? ((await this.store.byId(read.id)) ?? read) : read;
    const adapter = this.adapters.get(row.provider);
    let upstream: UpstreamCancelResult = 'not_submitted';
    // A job on an org's own key is cancelled with that key; a key deleted meanwhile cannot cancel it.
    const credentials = this.keys ? await this.keys.ofJob(row) : undefined;
    if (credentials === null) upstream = 'failed';
    else if (row.handle && adapter) {
      try {
        const answer = await adapter.cancel(row.handle, credentials);
        upstream = answer.result;
        // Work done before the cancel (Framerate's composing tokens) is still reported, once.
        if (answer.usage) await this.finisher.reportUsage(row.id, answer.usage);
      } catch (err) {
        upstream = 'failed';
        logger.warn({ err: String(err), provider: row.provider, jobId: row.id }, 'upstream cancel failed');
      }
    }
    return { cancelled: r === 'finished', upstream };
  }
}
