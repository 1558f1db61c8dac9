import { randomUUID } from 'node:crypto';
import { ProviderErrorKind } from '@pipevideo/contracts';
import { logger, withCorrelationId, withWorkSpan } from '@pipevideo/platform';
import type { ProviderAdapter } from '../adapters/provider-adapter';
import { isProviderError, ProviderError } from '../adapters/provider-error';
import type { ProviderKeys } from '../byok/provider-keys';
import type { AdapterSet } from './adapter-set';
import type { JobFinisher } from './job-finisher';
import type { JobRow, JobStore } from './job-store';
import type { ProviderMetrics } from '../providers.metrics';
import { PermanentCopyFailure, type OutputCopier } from '../outputs/output-copier';

/** The copy-in step of jobs that succeeded upstream (`storing`). */
export interface OutputStep {
  copier: OutputCopier;
  /** Copies tried before the job fails (and the generation is refunded). */
  attempts: number;
}

/** A status check answered 429 waits this many poll intervals (capped at MAX_BACKOFF_MS) before the next. */
const RATE_LIMITED_BACKOFF_INTERVALS = 16;

/** Pause before the next copy of an output after a transient failure: 1 s, 2 s, 4 s, … capped. */
const STORE_RETRY_BASE_MS = 1000;

export interface PollerSettings {
  intervalMs: number;
  leaseMs: number;
  batchSize: number;
  concurrency: number;
  callbackFallbackPollMs: number;
  maxPollErrors: number;
  jobMaxAgeMs: number;
  /** A job still `submitting` after this was interrupted (replica killed, database error mid-submit). */
  staleSubmissionMs: number;
  /** Callback-mode jobs are polled this often for progress (0 = never; only the safety net). */
  progressPollMs?: number;
}

/** Jobs are given up this long after their deadline (the router has normally timed them out by then). */
export const DEADLINE_GRACE_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;
/** How often interrupted submissions are looked for. */
const STALE_SUBMISSION_CHECK_MS = 10_000;

/**
 * Polls due jobs. Safe with several replicas: each tick claims due rows with FOR UPDATE SKIP LOCKED
 * and a lease (see JobStore.claimDue), so a job is polled by one replica at a time and a crashed
 * replica's claims expire. Poll-mode jobs are polled every `intervalMs`; callback-mode jobs only get
 * a slow safety-net check (`callbackFallbackPollMs`, or one at the deadline). Transient poll errors
 * back off; `maxPollErrors` in a row, or the deadline passing, fail a poll-mode job. A callback-mode
 * job is not failed by its safety-net poll erring (its callback may still come): only the deadline
 * ends it. Rows are claimed `concurrency` at a time, just before they are checked, so a slow provider
 * cannot hold claims until their lease runs out. Now and then, jobs left `submitting` by an
 * interrupted submission are closed (`submit_failed`): the router gave up on that attempt long ago.
 */
export class JobPoller {
  readonly owner = `poller-${randomUUID()}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;
  private lastStaleCheck = 0;

  constructor(
    private readonly adapters: AdapterSet,
    private readonly store: JobStore,
    private readonly finisher: JobFinisher,
    private readonly s: PollerSettings,
    private readonly metrics?: ProviderMetrics,
    private readonly keys?: ProviderKeys,
    private readonly outputs?: OutputStep,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick()
        .then(() => undefined)
        .catch((err) => logger.warn({ err: String(err) }, 'poller tick failed'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(loop, this.s.intervalMs);
        });
    };
    this.timer = setTimeout(loop, Math.min(this.s.intervalMs, 100));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One tick: up to `batchSize` due jobs, claimed and checked `concurrency` at a time. Returns how many were checked. */
  async tick(): Promise<number> {
    await this.closeStaleSubmissions();
    let checked = 0;
    while (!this.stopped && checked < this.s.batchSize) {
      const due = await this.store.claimDue(this.owner, this.s.leaseMs, Math.min(this.s.concurrency, this.s.batchSize - checked));
      await Promise.all(due.map((row) => this.checkSafely(row)));
      checked += due.length;
      if (due.length < this.s.concurrency) break;
    }
    return checked;
  }

  private async checkSafely(row: JobRow): Promise<void> {
    await withCorrelationId(row.correlation_id ?? undefined, () => this.check(row)).catch((err) => {
      logger.error({ err: String(err), jobId: row.id }, 'poll of a job failed');
      return this.store.releaseLease(row.id, this.owner).catch(() => undefined);
    });
  }

  private async closeStaleSubmissions(): Promise<void> {
    if (Date.now() - this.lastStaleCheck < STALE_SUBMISSION_CHECK_MS) return;
    this.lastStaleCheck = Date.now();
    const closed = await this.store.closeStaleSubmissions(this.s.staleSubmissionMs);
    for (const c of closed) this.metrics?.interruptedSubmissions.inc({ provider: c.provider });
    if (closed.length) logger.warn({ jobIds: closed.map((c) => c.id) }, 'closed submissions interrupted mid-call (submit_failed)');
  }

  private async cancelUpstream(adapter: ProviderAdapter, row: JobRow): Promise<void> {
    try {
      const credentials = this.keys ? await this.keys.ofJob(row) : undefined;
      if (credentials !== null && row.handle) await adapter.cancel(row.handle, credentials);
    } catch {
      // best effort
    }
  }

  private async check(row: JobRow): Promise<void> {
    if (row.status === 'storing') return this.storeOutput(row);
    const adapter = this.adapters.get(row.provider);
    if (!adapter || !row.handle) {
      // Provider no longer configured here (or no handle yet): look again later, let the deadline decide.
      if (this.pastDeadline(row)) await this.finisher.finish(row.id, { outcome: 'failed', errorKind: ProviderErrorKind.Down, errorMessage: `${row.provider} is not configured` });
      else await this.store.reschedule(row.id, this.owner, this.s.intervalMs * 10, row.poll_errors);
      return;
    }
    let status;
    try {
      // A job on an org's own key is asked about with that key (the platform's cannot see it).
      const credentials = this.keys ? await this.keys.ofJob(row) : undefined;
      if (credentials === null) throw new ProviderError(ProviderErrorKind.Down, `the organization's own ${row.provider} key was removed while the job ran`);
      status = await adapter.poll(row.handle, credentials);
    } catch (err) {
      const kind = isProviderError(err) ? err.kind : ProviderErrorKind.ServerError;
      const message = (err as Error)?.message ?? String(err);
      // A provider rate-limiting our status checks says nothing about the job, which may be running fine:
      // a 429 is not counted as a failed check (only the deadline ends the job then), and the next check
      // waits RATE_LIMITED_BACKOFF_INTERVALS intervals.
      const rateLimited = kind === ProviderErrorKind.RateLimited;
      const errors = rateLimited ? row.poll_errors : row.poll_errors + 1;
      const givesUp = this.pastDeadline(row) || (row.mode === 'poll' && !rateLimited && errors >= this.s.maxPollErrors);
      if (givesUp) {
        const r = await this.finisher.finish(row.id, { outcome: 'failed', errorKind: kind, errorMessage: `polling failed ${errors} times: ${message}` });
        // Given up on our side: the job must not keep running (and costing) upstream.
        if (r === 'finished') void this.cancelUpstream(adapter, row);
      } else {
        const backoff = Math.min(this.s.intervalMs * (rateLimited ? RATE_LIMITED_BACKOFF_INTERVALS : 2 ** errors), MAX_BACKOFF_MS);
        await this.store.reschedule(row.id, this.owner, row.mode === 'poll' ? backoff : Math.max(backoff, this.nextCheckInMs(row)), errors);
      }
      return;
    }
    if (status.state === 'final') {
      if (this.mayFinishFromPoll(row)) {
        await this.finisher.finish(row.id, status.outcome, { usage: status.usage });
        return;
      }
      // A progress check of a callback job saw it end: the callback ends it (or the safety-net poll, at its usual age).
      await this.store.reschedule(row.id, this.owner, this.nextCheckInMs(row), 0);
      return;
    }
    if (status.usage) await this.finisher.reportUsage(row.id, status.usage);
    if (status.progress) await this.finisher.reportProgress(row.id, status.progress);
    if (this.pastDeadline(row)) {
      const r = await this.finisher.finish(row.id, { outcome: 'failed', errorKind: ProviderErrorKind.Timeout, errorMessage: 'no result before the deadline' });
      if (r === 'finished') void this.cancelUpstream(adapter, row);
      return;
    }
    await this.store.reschedule(row.id, this.owner, this.nextCheckInMs(row), 0);
  }

  /**
   * Copies a succeeded job's output in. A transient failure (the provider's file server erring, our
   * storage unreachable) is retried with backoff; a file that is not what we store, or the last
   * attempt failing, fails the job — the router then fails the generation and releases its hold.
   */
  private storeOutput(row: JobRow): Promise<void> {
    // A trace of its own: the provider_job.finished it writes is traced from publish to the router's consume.
    return withWorkSpan('store output', { 'pipevideo.provider': row.provider, 'pipevideo.generation_id': row.generation_id }, () => this.copyIn(row));
  }

  private async copyIn(row: JobRow): Promise<void> {
    // A copy longer than the lease keeps it: otherwise another replica would claim the job and copy the same
    // file to the same key at the same time, and the one that failed would delete what the other stored.
    const renew = setInterval(() => void this.store.renewStoreLease(row.id, this.owner, this.s.leaseMs).catch(() => undefined), Math.max(100, this.s.leaseMs / 3));
    renew.unref();
    try {
      await this.copyInLeased(row);
    } finally {
      clearInterval(renew);
    }
  }

  private async copyInLeased(row: JobRow): Promise<void> {
    if (row.store_attempts === 0) await this.finisher.reportProgress(row.id, { percent: 95, queuePosition: null, phase: 'storing' });
    if (!this.outputs) {
      await this.finisher.finishStored(row.id, { output: null, artifact: null });
      return;
    }
    const started = process.hrtime.bigint();
    try {
      const copied = await this.outputs.copier.copy(row);
      const r = await this.finisher.finishStored(row.id, copied);
      if (r === 'finished') {
        this.metrics?.outputCopies.inc({ provider: row.provider, result: 'stored' });
        this.metrics?.outputCopyDuration.observe({ provider: row.provider }, Number(process.hrtime.bigint() - started) / 1e9);
        for (const [kind, f] of [['output', copied.output], ['artifact', copied.artifact]] as const) if (f) this.metrics?.bytesStored.inc({ kind }, f.bytes);
      }
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      const permanent = err instanceof PermanentCopyFailure;
      const tried = row.store_attempts + 1;
      if (permanent || tried >= this.outputs.attempts) {
        logger.warn({ jobId: row.id, generationId: row.generation_id, provider: row.provider, tried, err: message }, 'output could not be stored; the job fails');
        const r = await this.finisher.failStored(row.id, `output could not be stored after ${tried} attempt(s): ${message}`);
        if (r === 'finished') this.metrics?.outputCopies.inc({ provider: row.provider, result: 'failed' });
        return;
      }
      logger.info({ jobId: row.id, provider: row.provider, tried, err: message }, 'output copy failed; retrying');
      this.metrics?.outputCopies.inc({ provider: row.provider, result: 'retried' });
      await this.store.rescheduleStore(row.id, this.owner, Math.min(STORE_RETRY_BASE_MS * 2 ** row.store_attempts, MAX_BACKOFF_MS));
    }
  }

  /**
   * Poll jobs end from a poll; callback jobs only from the safety-net poll (once they are as old as
   * `callbackFallbackPollMs`) or past their deadline — the more frequent progress checks do not change
   * when a lost callback is given up on or recovered.
   */
  private mayFinishFromPoll(row: JobRow): boolean {
    if (row.mode === 'poll' || this.pastDeadline(row)) return true;
    return this.s.callbackFallbackPollMs > 0 && Date.now() - new Date(row.created_at).getTime() >= this.s.callbackFallbackPollMs;
  }

  private deadline(row: JobRow): number {
    return (row.deadline_at ? new Date(row.deadline_at).getTime() : new Date(row.created_at).getTime() + this.s.jobMaxAgeMs) + DEADLINE_GRACE_MS;
  }

  private pastDeadline(row: JobRow): boolean {
    return Date.now() > this.deadline(row);
  }

  private nextCheckInMs(row: JobRow): number {
    if (row.mode === 'poll') return this.s.intervalMs;
    const untilDeadline = Math.max(this.deadline(row) - Date.now(), this.s.intervalMs);
    // Callback providers are also asked now and then where the job stands (progress, queue position).
    const every = [this.s.callbackFallbackPollMs, this.s.progressPollMs ?? 0].filter((ms) => ms > 0);
    return every.length ? Math.min(...every, untilDeadline) : untilDeadline;
  }
}
