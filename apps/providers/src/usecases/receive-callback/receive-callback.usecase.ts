import { PROVIDER_SLUGS } from '@pipevideo/contracts';
import { logger, withCorrelationId } from '@pipevideo/platform';
import type { CallbackRefusal, JobStatus, ProviderCredentials } from '../../adapters/provider-adapter';
import type { ProviderKeys } from '../../byok/provider-keys';
import type { AdapterSet } from '../../jobs/adapter-set';
import type { JobFinisher } from '../../jobs/job-finisher';
import type { JobStore } from '../../jobs/job-store';
import type { ProviderMetrics } from '../../providers.metrics';

export interface CallbackAnswer {
  status: number;
  body: Record<string, unknown>;
}

const REFUSAL_STATUS: Record<CallbackRefusal, number> = { bad_signature: 401, expired: 401, keys_unavailable: 503, malformed: 400, wrong_account: 403 };

/**
 * `POST /callbacks/:provider/:jobRef`. Order matters: the signature is checked before anything is
 * looked up or parsed (401 bad/expired, 503 keys unobtainable so the provider retries later), then
 * the job, then the outcome is applied exactly once (see JobFinisher). A duplicate or late delivery
 * answers 200, so the provider stops retrying.
 */
export class ReceiveCallbackUseCase {
  constructor(
    private readonly adapters: AdapterSet,
    private readonly store: JobStore,
    private readonly finisher: JobFinisher,
    private readonly metrics: ProviderMetrics,
    private readonly keys?: ProviderKeys,
  ) {}

  async execute(provider: string, jobRef: string, headers: Record<string, string | string[] | undefined>, rawBody: Buffer | undefined): Promise<CallbackAnswer> {
    const label = (PROVIDER_SLUGS as string[]).includes(provider) ? provider : 'unknown';
    const count = (result: string) => this.metrics.callbacks.inc({ provider: label, result });
    const adapter = this.adapters.get(provider);
    if (!adapter?.verifyAndParseCallback) {
      count('unknown_job');
      return { status: 404, body: { error: `no callbacks for provider ${provider}` } };
    }
    if (!rawBody || !rawBody.length) {
      count('malformed');
      return { status: 400, body: { error: 'empty body' } };
    }
    // A job on an org's own key (BYOK) is signed for that org's account: the same checks, against its
    // account (fal: any fal account, not only ours; Replicate: its webhook secret). Nothing about the job
    // is used unless the signature holds.
    const owner = this.keys ? await this.store.byId(jobRef) : null;
    let resolved: ProviderCredentials | null | undefined;
    try {
      resolved = owner && owner.provider === provider && this.keys ? await this.keys.ofJob(owner) : undefined;
    } catch (err) {
      logger.error({ provider, jobRef, err: String(err) }, 'the org key of a callback could not be decrypted');
      resolved = null;
    }
    // null: the org deleted its key while the job ran. Still checked as that account's callback (fal needs
    // no key for it; Replicate's secret can no longer be fetched: 503, and the job ends by its timeout).
    const credentials: ProviderCredentials | undefined =
      resolved === null ? { apiKey: '', accountRef: `${owner!.org_id}:${provider}:deleted`, accountId: owner!.byok_account_id } : resolved;
    const verdict = await adapter.verifyAndParseCallback({ headers, rawBody, credentials });
    if (!verdict.ok) {
      count(verdict.reason);
      logger.warn({ provider, jobRef, reason: verdict.reason, message: verdict.message }, 'provider callback refused');
      return { status: REFUSAL_STATUS[verdict.reason], body: { error: verdict.reason, message: verdict.message } };
    }
    const cb = verdict.callback;
    const job = await this.store.byId(jobRef);
    if (!job || job.provider !== provider || (job.provider_job_id && job.provider_job_id !== cb.providerJobId)) {
      count('unknown_job');
      logger.warn({ provider, jobRef, providerJobId: cb.providerJobId }, 'verified callback for an unknown job');
      return { status: 404, body: { error: 'unknown job' } };
    }
    return withCorrelationId(job.correlation_id ?? undefined, async () => {
      if (job.status !== 'running' && job.status !== 'submitting') {
        count('duplicate');
        return { status: 200, body: { ok: true, duplicate: true } };
      }
      let status: JobStatus = cb.status;
      if (cb.needsResultFetch) {
        // "Done, but no payload": read the result from the provider; if that fails, let it retry the callback.
        const retryLater = (error: string) => {
          count('retry_later');
          return { status: 503, body: { error } };
        };
        if (!job.handle) return retryLater('job not recorded yet; retry');
        try {
          status = await adapter.poll(job.handle, credentials ?? undefined);
        } catch (err) {
          logger.warn({ provider, jobId: job.id, err: String(err) }, 'fetching the result after a callback failed');
          return retryLater('result not readable yet; retry');
        }
        if (status.state === 'running') return retryLater('result not ready yet; retry');
      }
      if (status.state === 'running') {
        count('ignored');
        return { status: 200, body: { ok: true, final: false } };
      }
      const r = await this.finisher.finish(job.id, status.outcome, {
        providerJobId: cb.providerJobId,
        delivery: { provider, id: cb.deliveryId },
        usage: status.usage,
      });
      count(r === 'finished' ? 'verified' : 'duplicate');
      return { status: 200, body: { ok: true, ...(r === 'duplicate' ? { duplicate: true } : {}) } };
    });
  }
}
