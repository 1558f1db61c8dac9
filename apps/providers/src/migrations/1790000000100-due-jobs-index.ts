import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The poller claims jobs `running` or `storing` whose next check is due (JobStore.claimDue). Each status
 * had its own partial index, which that predicate matches neither of: the claim, run every poll interval,
 * scanned every job ever submitted (issue "Performance", test/job-store-plans.spec.ts). One partial
 * index over both statuses replaces the two.
 */
export class DueJobsIndex1790000000100 implements MigrationInterface {
  name = 'DueJobsIndex1790000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX provider_jobs_due_open ON provider_jobs (next_poll_at) WHERE status IN ('running', 'storing')`);
    await q.query(`DROP INDEX provider_jobs_due`);
    await q.query(`DROP INDEX provider_jobs_storing`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX provider_jobs_storing ON provider_jobs (next_poll_at) WHERE status = 'storing'`);
    await q.query(`CREATE INDEX provider_jobs_due ON provider_jobs (next_poll_at) WHERE status = 'running'`);
    await q.query(`DROP INDEX provider_jobs_due_open`);
  }
}
