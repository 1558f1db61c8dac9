import type { DataSource, EntityManager } from 'typeorm';
import { randomBase62 } from '../orgs/ids';

export interface User {
  id: string;
  email: string;
}

export const newUserId = () => `usr_${randomBase62(20)}`;

/** People, found or made by their email (email sign-in) or by an OIDC issuer's subject. */
export class Users {
  constructor(private readonly ds: DataSource) {}

  /** The user with this (normalised) email, made on first sign-in: signing up and signing in are one step. */
  async upsertByEmail(email: string, m: Pick<EntityManager, 'query'> = this.ds): Promise<User> {
    const [row] = await m.query(
      `INSERT INTO users (id, email, last_sign_in_at) VALUES ($1, $2, now())
       ON CONFLICT (email) DO UPDATE SET last_sign_in_at = now() RETURNING id, email`,
      [newUserId(), email],
    );
    return row;
  }

  /**
   * The user an OIDC identity belongs to. First sign-in with this issuer+subject: linked to the user with
   * the issuer's *verified* email (made if missing); an unverified email is never linked to an existing
   * account (anyone can claim an address at some issuers), so it is refused.
   */
  async upsertByIdentity(issuer: string, subject: string, email: string, emailVerified: boolean): Promise<User | 'unverified_email'> {
    return this.ds.transaction(async (m) => {
      const [linked] = await m.query(`SELECT u.id, u.email FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2`, [issuer, subject]);
      if (linked) {
        await m.query(`UPDATE users SET last_sign_in_at = now() WHERE id = $1`, [linked.id]);
        return linked as User;
      }
      if (!emailVerified) return 'unverified_email' as const;
      const user = await this.upsertByEmail(email, m);
      await m.query(`INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [issuer, subject, user.id]);
      return user;
    });
  }

  async byEmail(email: string): Promise<User | undefined> {
    const [row] = await this.ds.query(`SELECT id, email FROM users WHERE email = $1`, [email]);
    return row;
  }
}
