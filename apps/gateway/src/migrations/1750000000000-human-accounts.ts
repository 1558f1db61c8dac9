import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Human accounts (issue 15): people, their sign-in identities and server-side sessions, single-use
 * email sign-in tokens (only their SHA-256 is stored), OIDC sign-ins in flight, org memberships with a
 * role, and invitations by email. API keys gain the `dashboard` kind: one per org, whose secret nobody
 * knows, to which what people do through the dashboard is attributed (holds, usage, rate limits).
 */
export class HumanAccounts1750000000000 implements MigrationInterface {
  name = 'HumanAccounts1750000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_sign_in_at timestamptz
    )`);
    await q.query(`CREATE TABLE user_identities (
      issuer text NOT NULL,
      subject text NOT NULL,
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (issuer, subject)
    )`);
    await q.query(`CREATE TABLE sessions (
      id_hash text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      method text NOT NULL CHECK (method IN ('email', 'oidc')),
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);
    await q.query(`CREATE INDEX sessions_expires_idx ON sessions (expires_at)`);
    await q.query(`CREATE TABLE email_sign_in_tokens (
      token_hash text PRIMARY KEY,
      email text NOT NULL,
      return_to text,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`);
    await q.query(`CREATE INDEX email_sign_in_tokens_expires_idx ON email_sign_in_tokens (expires_at)`);
    await q.query(`CREATE TABLE oidc_sign_ins (
      state_hash text PRIMARY KEY,
      code_verifier text NOT NULL,
      nonce text NOT NULL,
      return_to text,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE org_members (
      org_id text NOT NULL REFERENCES organizations(id),
      user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, user_id)
    )`);
    await q.query(`CREATE INDEX org_members_user_idx ON org_members (user_id)`);
    await q.query(`CREATE TABLE org_invites (
      id text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      email text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'member')),
      token_hash text NOT NULL UNIQUE,
      invited_by text NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      accepted_by text REFERENCES users(id)
    )`);
    await q.query(`CREATE INDEX org_invites_org_idx ON org_invites (org_id, created_at DESC)`);
    // Who made a generation through the dashboard (the dashboard key is shared by the org's people).
    await q.query(`CREATE TABLE dashboard_generations (
      generation_id text PRIMARY KEY,
      org_id text NOT NULL,
      user_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_kind_check`);
    await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_kind_check CHECK (kind IN ('standard', 'management', 'dashboard'))`);
    await q.query(`CREATE UNIQUE INDEX api_keys_one_dashboard_key ON api_keys (org_id) WHERE kind = 'dashboard'`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX api_keys_one_dashboard_key`);
    await q.query(`DELETE FROM api_keys WHERE kind = 'dashboard'`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_kind_check`);
    await q.query(`ALTER TABLE api_keys ADD CONSTRAINT api_keys_kind_check CHECK (kind IN ('standard', 'management'))`);
    for (const t of ['dashboard_generations', 'org_invites', 'org_members', 'oidc_sign_ins', 'email_sign_in_tokens', 'sessions', 'user_identities', 'users']) await q.query(`DROP TABLE ${t}`);
  }
}
