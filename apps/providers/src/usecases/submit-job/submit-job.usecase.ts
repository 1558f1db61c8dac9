import { randomUUID } from 'node:crypto';
import {
  DomainError, ErrorCode, PROVIDER_SLUGS, ProviderErrorKind, RETRYABLE_PROVIDER_ERRORS, type SubmitJobMsg, type SubmitJobResult,
} from '@pipevideo/contracts';
import { currentCorrelationId, logger } from '@pipevideo/platform';
import { checkMediaUrl, responsesMediaUrls, urlsIn } from '../../adapters/common/media-url-guard';
import { isProviderError, ProviderError } from '../../adapters/provider-error';
import type { ProviderAdapter, ProviderCredentials } from '../../adapters/provider-adapter';
import type { ByokMetrics } from '../../byok/byok-metrics';
import type { ProviderKeys } from '../../byok/provider-keys';
import type { AdapterSet, CallbackUrls } from '../../jobs/adapter-set';
import { CANCELLED_BY_PIPEVIDEO, type JobFinisher } from '../../jobs/job-finisher';
import type { JobRow, JobStore } from '../../jobs/job-store';

export interface SubmitJobSettings {
  pollIntervalMs: number;
  callbackFallbackPollMs: number;
  /** Callback-mode jobs are asked for progress this often (0: never). */
  progressPollMs: number;
  jobMaxAgeMs: number;
  allowPrivateUrls: boolean;
}

/**
 * `providers.job.submit`: validates and maps the parameters, records the job, submits it upstream
 * and answers `{ok:true, providerJobId, mode}` or `{ok:false, kind, retryable, message}`. Provider
 * failures are answers, never exceptions; only a malformed message is a BAD_REQUEST error. The same
 * (generationId, attempt) submitted again answers what the first submit got (no second upstream job).
 *
 * Two statements on the common path: the insert of the `submitting` row (which is also the
 * idempotency check: it inserts nothing when the attempt exists or was cancelled) and the update with
 * the provider's answer. The existing row is read only when the insert did nothing.
 */
export class SubmitJobUseCase {
  constructor(
    private readonly adapters: AdapterSet,
    private readonly store: JobStore,
    private readonly finisher: JobFinisher,
    private readonly callbackUrls: CallbackUrls,
    private readonly settings: SubmitJobSettings,
    private readonly keys?: ProviderKeys,
    private readonly byokMetrics?: ByokMetrics,
  ) {}

  async execute(msg: SubmitJobMsg): Promise<SubmitJobResult> {
    if (!PROVIDER_SLUGS.includes(msg.provider)) throw new DomainError(ErrorCode.BAD_REQUEST, `unknown provider "${msg.provider}"`);
    if (msg.api !== 'video' && msg.api !== 'responses') throw new DomainError(ErrorCode.BAD_REQUEST, `unknown api "${msg.api}"`);
    const adapter = this.adapters.get(msg.provider);
    if (!adapter) return failure(new ProviderError(ProviderErrorKind.Down, `provider ${msg.provider} is not configured`));
    if (adapter.api !== msg.api) throw new DomainError(ErrorCode.BAD_REQUEST, `provider ${msg.provider} serves the ${adapter.api} API, not ${msg.api}`);

    let input;
    try {
      await this.checkMedia(msg);
      input = adapter.normalise(msg.params ?? {}, { api: msg.api, providerModelId: msg.providerModelId });
      await this.checkEveryUrl(input);
    } catch (err) {
      if (!isProviderError(err)) throw err;
      // A repeat of an attempt that passed these checks the first time (a URL's DNS answer changed
      // meanwhile) still answers what the first submit got.
      const existing = await this.store.byAttempt(msg.generationId, msg.attempt);
      return existing ? replay(existing, msg) : failure(err);
    }

    // Bring your own key: the attempt runs on the org's key, or not at all (the router held only the
    // platform fee for it; the platform's key would run it at the platform's expense).
    let credentials: ProviderCredentials | undefined;
    if (msg.byok) {
      if (!msg.orgId) throw new DomainError(ErrorCode.BAD_REQUEST, 'byok needs orgId');
      // A repeat of an attempt whose org deleted its key since answers the first submit's answer, not
      // "key removed": looked up before the key (this extra read is the byok path's only).
      const existing = await this.store.byAttempt(msg.generationId, msg.attempt);
      if (existing) return replay(existing, msg);
      const found = this.keys ? await this.keys.credentials(msg.orgId, msg.provider) : null;
      if (!found) {
        this.byokMetrics?.jobs.inc({ provider: msg.provider, outcome: 'key_missing' });
        return failure(new ProviderError(ProviderErrorKind.Down, `the organization's own ${msg.provider} key was removed`), true);
      }
      credentials = found;
    }

    const id = randomUUID();
    const row = await this.store.insertSubmitting({
      id,
      generationId: msg.generationId,
      attempt: msg.attempt,
      provider: msg.provider,
      providerModelId: msg.providerModelId,
      api: msg.api,
      mode: adapter.mode,
      deadlineSeconds: msg.deadlineSeconds,
      correlationId: msg.correlationId ?? currentCorrelationId(),
      orgId: msg.orgId,
      byok: !!credentials,
      byokAccountId: credentials?.accountId ?? null,
    });
    // Nothing inserted: the attempt was submitted before (replayed), or cancelled before it was
    // submitted (the router's cancel came first: its tombstone stops a job nobody wants).
    if (!row) return this.replayOrTombstone(msg);

    let accepted;
    try {
      accepted = await adapter.submit({
        credentials,
        jobRef: id,
        callbackUrl: adapter.mode === 'callback' ? this.callbackUrls.for(adapter.slug, id) : undefined,
        providerModelId: msg.providerModelId,
        api: msg.api,
        input,
        deadlineSeconds: msg.deadlineSeconds,
        idempotencyKey: `${msg.generationId}:${msg.attempt}`,
      });
    } catch (err) {
      let e = isProviderError(err) ? err : new ProviderError(ProviderErrorKind.ServerError, `${msg.provider} submit failed: ${(err as Error)?.message ?? err}`);
      if (!isProviderError(err)) logger.error({ err: String(err), provider: msg.provider }, 'unexpected adapter error on submit');
      const ownKey = !!credentials && refusesOwnKey(e);
      if (ownKey) e = ownKeyRefusal(msg.provider, e);
      await this.store.markSubmitFailed(id, e.kind, e.message, ownKey);
      if (credentials) this.byokMetrics?.jobs.inc({ provider: msg.provider, outcome: ownKey ? 'key_refused' : e.kind });
      return failure(e, ownKey);
    }
    if (credentials) this.byokMetrics?.jobs.inc({ provider: msg.provider, outcome: 'submitted' });

    const recorded = await this.store.recordSubmitted(id, accepted.providerJobId, accepted.handle, this.firstCheckInMs(adapter, msg));
    const { running } = recorded;
    let after = recorded.row;
    if (!running && after.status === 'submitting') {
      // Still `submitting`: the attempt's tombstone was written after our insert, by a cancel that did
      // not see our row yet. End the job as that cancel would have (cancelled, one
      // provider_job.finished), then cancel it upstream below.
      const r = await this.finisher.finish(id, CANCELLED_BY_PIPEVIDEO, { providerJobId: accepted.providerJobId });
      after = r === 'finished' ? { ...after, status: 'cancelled' } : ((await this.store.byId(id)) ?? after);
    }
    if (!running && (after.status === 'cancelled' || after.status === 'submit_failed')) {
      // Cancelled while we were submitting, or given up as an interrupted submission (it took that
      // long): the upstream job must not run for nothing.
      void adapter.cancel(accepted.handle, credentials).catch((err) => logger.warn({ err: String(err), jobId: id }, 'cancel after late submit failed'));
      if (after.status === 'submit_failed') return failure(new ProviderError(ProviderErrorKind.Timeout, `${msg.provider} accepted the job too late; it was cancelled`));
    }
    return { ok: true, providerJobId: accepted.providerJobId, mode: adapter.mode };
  }

  /**
   * The answer of a submit whose insert recorded nothing: the first submit's answer when the attempt
   * exists (even if it was cancelled since), else the tombstone's. Off the common path: two reads.
   */
  private async replayOrTombstone(msg: SubmitJobMsg): Promise<SubmitJobResult> {
    const existing = await this.store.byAttempt(msg.generationId, msg.attempt);
    if (existing) return replay(existing, msg);
    if (await this.store.isCancelledAttempt(msg.generationId, msg.attempt)) return cancelledBeforeSubmit();
    return failure(new ProviderError(ProviderErrorKind.ServerError, 'could not record the job'));
  }

  /** Poll jobs are polled soon; callback jobs only get the safety-net check (or one at the deadline). */
  private firstCheckInMs(adapter: ProviderAdapter, msg: SubmitJobMsg): number {
    if (adapter.mode === 'poll') return this.settings.pollIntervalMs;
    // The first progress check (fal's queue position, Replicate's status) comes soon; then the poller's rhythm.
    if (this.settings.progressPollMs > 0) return Math.min(this.settings.progressPollMs, this.settings.callbackFallbackPollMs > 0 ? this.settings.callbackFallbackPollMs : Infinity);
    if (this.settings.callbackFallbackPollMs > 0) return this.settings.callbackFallbackPollMs;
    return msg.deadlineSeconds ? msg.deadlineSeconds * 1000 : this.settings.jobMaxAgeMs;
  }

  /**
   * Whatever a field is called (an end frame, a reference clip, a nested option), no URL reaches a
   * provider without passing the SSRF guard: the provider would fetch it from inside its network.
   */
  private async checkEveryUrl(input: Record<string, unknown>): Promise<void> {
    const seen = new Set<string>();
    for (const { field, url } of urlsIn(input)) {
      if (seen.has(url)) continue;
      seen.add(url);
      await checkMediaUrl(field, url, this.settings.allowPrivateUrls, ['data:image/', 'data:video/']);
    }
  }

  private async checkMedia(msg: SubmitJobMsg): Promise<void> {
    const p = msg.params ?? {};
    if (msg.api === 'video' && p.imageUrl !== undefined && p.imageUrl !== null) await checkMediaUrl('imageUrl', p.imageUrl, this.settings.allowPrivateUrls);
    if (msg.api === 'responses') {
      for (const m of responsesMediaUrls(p.input)) {
        await checkMediaUrl(m.field, m.url, this.settings.allowPrivateUrls, m.kind === 'image' ? ['data:image/'] : ['data:video/']);
      }
    }
  }
}

/**
 * A submit whose attempt the router cancelled first: no job, no provider call. Retryable like any
 * failure that is not our refusal of the input (the router gave up on this attempt when it cancelled
 * it; a generation that goes on does so with its next attempt).
 */
function cancelledBeforeSubmit(): SubmitJobResult {
  return failure(new ProviderError(ProviderErrorKind.ServerError, 'this attempt was cancelled before it was submitted'));
}

function failure(e: ProviderError, ownKey = false): SubmitJobResult {
  return { ok: false, kind: e.kind, retryable: e.retryable, message: e.message, ...(ownKey ? { ownKey: true } : {}) };
}

/**
 * HTTP answers that, on the org's own key, speak of that key's account rather than of the provider:
 * credentials refused (401, 403), the account out of credit (402), its own rate limit or quota (429).
 */
const OWN_KEY_STATUSES = new Set([401, 402, 403, 429]);

function refusesOwnKey(e: ProviderError): boolean {
  // A safety system's refusal stays one (the next model is tried), whatever its status.
  return e.httpStatus !== undefined && OWN_KEY_STATUSES.has(e.httpStatus) && e.kind !== ProviderErrorKind.Moderation;
}

/** The org's key refused: the next route is tried (not the next model: the input was not at fault). */
function ownKeyRefusal(provider: string, e: ProviderError): ProviderError {
  const kind = e.httpStatus === 429 ? ProviderErrorKind.RateLimited : ProviderErrorKind.Down;
  return new ProviderError(kind, `the organization's own ${provider} key was refused: ${e.message}`, e.httpStatus);
}

/** The answer a repeated submit of the same attempt gets: whatever the first one got. */
function replay(row: JobRow, msg: SubmitJobMsg): SubmitJobResult {
  if (row.provider !== msg.provider || row.provider_model_id !== msg.providerModelId) {
    throw new DomainError(ErrorCode.CONFLICT, `attempt ${msg.attempt} of ${msg.generationId} was already submitted to ${row.provider} (${row.provider_model_id})`);
  }
  if (row.provider_job_id) return { ok: true, providerJobId: row.provider_job_id, mode: row.mode };
  if (row.status === 'submit_failed') {
    const kind = (row.error_kind ?? ProviderErrorKind.ServerError) as ProviderErrorKind;
    return { ok: false, kind, retryable: RETRYABLE_PROVIDER_ERRORS.has(kind), message: row.error_message ?? 'submit failed', ...(row.own_key_refused ? { ownKey: true } : {}) };
  }
  if (row.status === 'submitting') return failure(new ProviderError(ProviderErrorKind.Timeout, 'a submit of this attempt is still in progress'));
  return failure(new ProviderError(ProviderErrorKind.ServerError, `this attempt is already ${row.status}`));
}
