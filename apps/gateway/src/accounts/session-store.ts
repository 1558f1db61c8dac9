import type { DataSource } from 'typeorm';
import { newSecretToken, sha256 } from './tokens';

export interface Session {
  userId: string;
  email: string;
  csrfToken: string;
  method: 'email' | 'oidc';
}

/** The cookie's value is the session id (256 random bits); the table holds only its SHA-256. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions in PostgreSQL (gateway schema). A new id at every sign-in (the cookie a browser
 * brings is never adopted: no fixation), a CSRF token per session, a sliding expiry refreshed at most
 * once a minute, and sign-out of one session or of all of a user's sessions.
 */
export class SessionStore {
  constructor(
    private readonly ds: DataSource,
    private readonly ttlSeconds: number,
  ) {}

  /** Starts a session for `userId`, ending `previousId`'s (the browser's old session, if any). Returns the new id: the cookie's value. */
  async create(userId: string, method: Session['method'], previousId?: string): Promise<string> {
    const id = newSecretToken();
    await this.ds.transaction(async (m) => {
      if (previousId && SESSION_ID_PATTERN.test(previousId)) await m.query(`DELETE FROM sessions WHERE id_hash = $1`, [sha256(previousId)]);
      await m.query(
        `INSERT INTO sessions (id_hash, user_id, csrf_token, method, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
        [sha256(id), userId, newSecretToken(), method, this.ttlSeconds],
      );
      // Expired sessions of anyone: swept now and then by the sign-ins themselves.
      await m.query(`DELETE FROM sessions WHERE ctid IN (SELECT ctid FROM sessions WHERE expires_at < now() LIMIT 100)`);
    });
    return id;
  }

  /** The live session of this cookie value, sliding its expiry (at most one write a minute). */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || !SESSION_ID_PATTERN.test(id)) return undefined;
    const [row] = await this.ds.query(
      `SELECT s.user_id, u.email, s.csrf_token, s.method, s.last_seen_at < now() - interval '1 minute' AS stale
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > now()`,
      [sha256(id)],
    );
    if (!row) return undefined;
    if (row.stale) {
      await this.ds.query(`UPDATE sessions SET last_seen_at = now(), expires_at = now() + make_interval(secs => $2) WHERE id_hash = $1`, [sha256(id), this.ttlSeconds]);
    }
    return { userId: row.user_id, email: row.email, csrfToken: row.csrf_token, method: row.method };
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id && SESSION_ID_PATTERN.test(id)) await this.ds.query(`DELETE FROM sessions WHERE id_hash = $1`, [sha256(id)]);
  }

  /** Signs a user out everywhere: every session of theirs ends; returns how many. */
  async destroyAllOf(userId: string): Promise<number> {
    const r = await this.ds.query(`DELETE FROM sessions WHERE user_id = $1 RETURNING 1`, [userId]);
    // TypeORM answers a DELETE … RETURNING with [rows, affected].
    return Array.isArray(r) && Array.isArray(r[0]) ? r[0].length : (r as unknown[]).length;
  }
}
