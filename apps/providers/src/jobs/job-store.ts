import type { DataSource, EntityManager } from 'typeorm';
import { rows, type RetentionRule } from '@pipevideo/platform';
import type { JobHandle, JobMode } from '../adapters/provider-adapter';

/** `storing`: the provider finished; we are copying its output in (outputs/output-copier.ts) before the job ends. */
export type JobRowStatus = 'submitting' | 'running' | 'storing' | 'submit_failed' | 'succeeded' | 'failed' | 'cancelled';
export const OPEN_STATUSES: JobRowStatus[] = ['submitting', 'running'];

export interface JobRow {
  id: string;
  generation_id: string;
  attempt: number;
  provider: string;
  provider_model_id: string;
  api: string;
  mode: JobMode;
  status: JobRowStatus;
  provider_job_id: string | null;
  handle: JobHandle | null;
  deadline_at: Date | null;
  next_poll_at: Date | null;
  lease_owner: string | null;
  poll_errors: number;
  usage_reported: boolean;
  input_tokens: number | null;
  output_tokens: number | null;
  outcome: string | null;
  output_url: string | null;
  artifact_url: string | null;
  artifact_type: string | null;
  error_kind: string | null;
  error_message: string | null;
  incomplete: boolean;
  store_attempts: number;
  duration_seconds: number | null;
  correlation_id: string | null;
  created_at: Date;
  /** The org of the generation (set by submits that carry it). */
  org_id: string | null;
  /** Runs on the org's own key (bring your own key). */
  byok: boolean;
  /** That account's id at the provider when the job was submitted (fal: callbacks are signed for it). */
  byok_account_id: string | null;
  /** The submit failed because the provider refused the org's own key (answered with `ownKey`). */
  own_key_refused: boolean;
}

export interface NewJob {
  id: string;
  generationId: string;
  attempt: number;
  provider: string;
  providerModelId: string;
  api: string;
  mode: JobMode;
  deadlineSeconds?: number;
  correlationId?: string;
  orgId?: string;
  byok?: boolean;
  byokAccountId?: string | null;
}

/** How long a cancelled attempt's tombstone is kept (see JobStore.cancelledAttemptsRetentionRule). */
export const CANCELLED_ATTEMPT_RETENTION_MS = 24 * 3600_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SQL for provider_jobs (the service's schema is on the search_path). Guards make every transition one-way. */
export class JobStore {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /**
   * Inserts the row before calling the provider (so an early callback finds it). Null when the attempt
   * exists already, or when it was cancelled before this submit (a tombstone, see recordCancelledAttempt):
   * one statement, so a tombstone committed before it is always seen, and one committed after it is
   * seen by recordSubmitted.
   */
  async insertSubmitting(j: NewJob): Promise<JobRow | null> {
    const inserted = await rows<JobRow>(
      this.ds,
      `INSERT INTO provider_jobs (id, generation_id, attempt, provider, provider_model_id, api, mode, status, deadline_at, correlation_id, org_id, byok, byok_account_id)
       SELECT $1::uuid, $2::text, $3::int, $4::text, $5::text, $6::text, $7::text, 'submitting',
              CASE WHEN $8::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $8::float8) END, $9::text, $10::text, $11::boolean, $12::text
        WHERE NOT EXISTS (SELECT 1 FROM cancelled_attempts c WHERE c.generation_id = $2::text AND c.attempt = $3::int)
       ON CONFLICT (generation_id, attempt) DO NOTHING RETURNING *`,
      [j.id, j.generationId, j.attempt, j.provider, j.providerModelId, j.api, j.mode, j.deadlineSeconds ?? null, j.correlationId ?? null, j.orgId ?? null, !!j.byok, j.byokAccountId ?? null],
      'providers.insert_submitting',
    );
    return inserted[0] ?? null;
  }

  /**
   * The tombstone of a cancelled attempt (`providers.job.cancel`), written before the cancel looks for
   * the job: a submit of the attempt that arrives later starts nothing. Idempotent.
   */
  async recordCancelledAttempt(generationId: string, attempt: number): Promise<void> {
    await this.ds.query(`INSERT INTO cancelled_attempts (generation_id, attempt) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [generationId, attempt]);
  }

  async isCancelledAttempt(generationId: string, attempt: number): Promise<boolean> {
    const found = await rows(this.ds, `SELECT 1 FROM cancelled_attempts WHERE generation_id = $1 AND attempt = $2`, [generationId, attempt]);
    return found.length > 0;
  }

  /**
   * Tombstones are kept a day: they only have to outlive a submit of their attempt still on its way
   * (the router's submit call times out within a minute, a stale submission is closed within minutes).
   * Pruned by the platform's janitor (`pipevideo_pruned_rows_total{table="cancelled_attempts"}`).
   */
  cancelledAttemptsRetentionRule(retentionMs = CANCELLED_ATTEMPT_RETENTION_MS): RetentionRule {
    return {
      table: 'cancelled_attempts',
      retentionMs,
      deleteBatchSql: `DELETE FROM cancelled_attempts WHERE (generation_id, attempt) IN (SELECT generation_id, attempt FROM cancelled_attempts WHERE cancelled_at < now() - make_interval(secs => $2::float / 1000) ORDER BY cancelled_at LIMIT $1)`,
    };
  }

  async byId(id: string, m?: EntityManager): Promise<JobRow | null> {
    if (!UUID.test(id)) return null;
    const found = await rows<JobRow>(this.q(m), `SELECT * FROM provider_jobs WHERE id = $1`, [id]);
    return found[0] ?? null;
  }

  async byAttempt(generationId: string, attempt: number): Promise<JobRow | null> {
    const found = await rows<JobRow>(this.ds, `SELECT * FROM provider_jobs WHERE generation_id = $1 AND attempt = $2`, [generationId, attempt]);
    return found[0] ?? null;
  }

  /**
   * Records the provider's job id and handle; the row becomes `running` only if it is still
   * `submitting` (a callback or a cancel may already have made it final) and its attempt has no
   * tombstone. Returns the row after: still `submitting` (with the handle) means the attempt was
   * cancelled while our insert was not yet visible to the cancel; the caller ends it as a cancel would.
   */
  async recordSubmitted(id: string, providerJobId: string, handle: JobHandle, firstPollInMs: number | null): Promise<{ running: boolean; row: JobRow }> {
    const running = await rows<JobRow>(
      this.ds,
      `UPDATE provider_jobs j SET status = 'running', provider_job_id = $2, handle = $3::jsonb,
              next_poll_at = CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8 / 1000) END, updated_at = now()
        WHERE j.id = $1 AND j.status = 'submitting'
          AND NOT EXISTS (SELECT 1 FROM cancelled_attempts c WHERE c.generation_id = j.generation_id AND c.attempt = j.attempt)
        RETURNING j.*`,
      [id, providerJobId, JSON.stringify(handle), firstPollInMs],
      'providers.record_submitted',
    );
    if (running[0]) return { running: true, row: running[0] };
    const after = await rows<JobRow>(
      this.ds,
      `UPDATE provider_jobs SET provider_job_id = coalesce(provider_job_id, $2), handle = coalesce(handle, $3::jsonb), updated_at = now() WHERE id = $1 RETURNING *`,
      [id, providerJobId, JSON.stringify(handle)],
    );
    return { running: false, row: after[0] };
  }

  async markSubmitFailed(id: string, kind: string, message: string, ownKeyRefused = false): Promise<void> {
    await this.ds.query(
      `UPDATE provider_jobs SET status = 'submit_failed', error_kind = $2, error_message = $3, own_key_refused = $4, finished_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'submitting'`,
      [id, kind, message.slice(0, 2000), ownKeyRefused],
    );
  }

  /** Closes jobs left `submitting` longer than `olderThanMs` (the submit call was interrupted). */
  async closeStaleSubmissions(olderThanMs: number): Promise<Array<{ id: string; provider: string }>> {
    return rows<{ id: string; provider: string }>(
      this.ds,
      `UPDATE provider_jobs SET status = 'submit_failed', error_kind = 'timeout',
              error_message = 'submission interrupted: no answer was recorded (service restarted or database error mid-submit)',
              finished_at = now(), updated_at = now()
        WHERE status = 'submitting' AND created_at < now() - make_interval(secs => $1::float8 / 1000)
        RETURNING id, provider`,
      [olderThanMs],
    );
  }

  /**
   * Claims due running jobs for this replica: rows locked with SKIP LOCKED (another replica's claim
   * in progress is skipped) and leased, so a replica that dies mid-poll frees them when the lease ends.
   */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<JobRow[]> {
    return rows<JobRow>(
      this.ds,
      `UPDATE provider_jobs SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::float8 / 1000)
        WHERE id IN (
          SELECT id FROM provider_jobs
           WHERE status IN ('running', 'storing') AND next_poll_at <= now() AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_poll_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [owner, leaseMs, limit],
    );
  }

  /** Next poll in `delayMs`; releases the lease. Only the lease holder of a running job may do it. */
  async reschedule(id: string, owner: string, delayMs: number, pollErrors: number): Promise<void> {
    await this.ds.query(
      `UPDATE provider_jobs SET next_poll_at = now() + make_interval(secs => $3::float8 / 1000), poll_errors = $4,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [id, owner, delayMs, pollErrors],
    );
  }

  /** A copy-in that failed and will be tried again in `delayMs`; releases the lease. */
  async rescheduleStore(id: string, owner: string, delayMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE provider_jobs SET next_poll_at = now() + make_interval(secs => $3::float8 / 1000), store_attempts = store_attempts + 1,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND status = 'storing'`,
      [id, owner, delayMs],
    );
  }

  /** Keeps the lease of a job whose output this replica is still copying in. */
  async renewStoreLease(id: string, owner: string, leaseMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE provider_jobs SET lease_until = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1 AND lease_owner = $2 AND status = 'storing'`,
      [id, owner, leaseMs],
    );
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.ds.query(`UPDATE provider_jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [id, owner]);
  }

  async inFlightByProvider(): Promise<Record<string, number>> {
    const counts = await rows<{ provider: string; n: number }>(
      this.ds,
      `SELECT provider, count(*)::int AS n FROM provider_jobs WHERE status IN ('submitting', 'running') GROUP BY provider`,
    );
    return Object.fromEntries(counts.map((r) => [r.provider, r.n]));
  }
}
