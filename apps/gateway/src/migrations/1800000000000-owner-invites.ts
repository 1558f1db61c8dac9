import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Owners may invite owners (docs/dashboard-api.md, `InviteDto`, `invites.ts`), but the table's check
 * allowed only admins and members: such an invite was a 500. The check now allows what the API does.
 */
export class OwnerInvites1800000000000 implements MigrationInterface {
  name = 'OwnerInvites1800000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE org_invites DROP CONSTRAINT org_invites_role_check`);
    await q.query(`ALTER TABLE org_invites ADD CONSTRAINT org_invites_role_check CHECK (role IN ('owner', 'admin', 'member'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Owner invites become admin ones, pending or accepted (the old check allows no more; an accepted
    // invite is only a record: the membership it made is in org_members and keeps its role).
    await q.query(`UPDATE org_invites SET role = 'admin' WHERE role = 'owner'`);
    await q.query(`ALTER TABLE org_invites DROP CONSTRAINT org_invites_role_check`);
    await q.query(`ALTER TABLE org_invites ADD CONSTRAINT org_invites_role_check CHECK (role IN ('admin', 'member'))`);
  }
}
