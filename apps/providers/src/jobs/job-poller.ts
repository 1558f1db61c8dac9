import { randomUUID } from 'node:crypto';
import { ProviderErrorKind } from '@pipevideo/contracts';
import { logger, withCorrelationId } from '@pipevideo/platform';
import type { ProviderAdapter } from '../adapters/provider-adapter';
import { isProviderError, ProviderError } from '../adapters/provider-error';
import type { ProviderKeys } from '../byok/provider-keys';
import type { AdapterSet } from './adapter-set';
import type { JobFinisher } from './job-finisher';
import type { JobRow, JobStore } from './job-store';
import type { ProviderMetrics } from '../metrics';

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
      const errors = row.poll_errors + 1;
      const givesUp = this.pastDeadline(row) || (row.mode === 'poll' && errors >= this.s.maxPollErrors);
      if (givesUp) {
        await this.finisher.finish(row.id, { outcome: 'failed', errorKind: kind, errorMessage: `polling failed ${errors} times: ${message}` });
      } else {
        const backoff = Math.min(this.s.intervalMs * 2 ** errors, MAX_BACKOFF_MS);
        await this.store.reschedule(row.id, this.owner, row.mode === 'poll' ? backoff : Math.max(backoff, this.nextCheckInMs(row)), errors);
      }
      return;
    }
    if (status.state === 'final') {
      await this.finisher.finish(row.id, status.outcome, { usage: status.usage });
      return;
    }
    if (status.usage) await this.finisher.reportUsage(row.id, status.usage);
    if (this.pastDeadline(row)) {
      const r = await this.finisher.finish(row.id, { outcome: 'failed', errorKind: ProviderErrorKind.Timeout, errorMessage: 'no result before the deadline' });
      if (r === 'finished') void this.cancelUpstream(adapter, row);
      return;
    }
    await this.store.reschedule(row.id, this.owner, this.nextCheckInMs(row), 0);
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
    return this.s.callbackFallbackPollMs > 0 ? Math.min(this.s.callbackFallbackPollMs, untilDeadline) : untilDeadline;
  }
}
