import type { DataSource } from 'typeorm';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError, badRequestError } from '../errors/api-error';
import type { AccountsMetrics } from './accounts-metrics';
import type { AuthLimits } from './auth-limits';
import { escapeHtml, Mailer } from './mailer';
import { newSecretToken, normalEmail, safeReturnTo, sha256, TOKEN_PATTERN } from './tokens';
import type { User, Users } from './users';

/**
 * Sign-up and sign-in by email (one flow: the first sign-in makes the account). `start` mails a
 * single-use link (its token stored hashed, expiring) and answers the same whether or not the address
 * has an account; `verify` consumes the token atomically. Both are rate limited per client IP, and
 * `start` per address too (mail bombing, token farming).
 */
export class EmailSignIn {
  constructor(
    private readonly ds: DataSource,
    private readonly users: Users,
    private readonly mailer: Mailer,
    private readonly limits: AuthLimits,
    private readonly metrics: AccountsMetrics,
    private readonly o: { ttlSeconds: number; publicUrl: () => string },
  ) {}

  async start(rawEmail: unknown, rawReturnTo: unknown, ip: string): Promise<void> {
    const email = normalEmail(rawEmail);
    if (!email) throw badRequestError('email must be an email address', [{ field: 'email', message: 'must be an email address' }]);
    if (rawReturnTo !== undefined && rawReturnTo !== null && typeof rawReturnTo !== 'string') throw badRequestError('return_to must be a relative path such as /keys', [{ field: 'return_to', message: 'must be a string' }]);
    if (!this.mailer.configured) throw new ApiError(ErrorCode.SERVICE_UNAVAILABLE, 'Sign-in by email is not configured on this server (PIPEVIDEO_SMTP_URL).');
    await this.limits.attempt('ip', ip, 'email', this.metrics);
    await this.limits.attempt('email', email, 'email', this.metrics);
    const token = newSecretToken();
    // A return_to that is not a same-origin path is dropped here (→ "/"): no open redirect later.
    await this.ds.query(
      `INSERT INTO email_sign_in_tokens (token_hash, email, return_to, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [sha256(token), email, safeReturnTo(rawReturnTo) ?? null, this.o.ttlSeconds],
    );
    await this.ds.query(`DELETE FROM email_sign_in_tokens WHERE ctid IN (SELECT ctid FROM email_sign_in_tokens WHERE expires_at < now() - interval '1 day' LIMIT 100)`);
    const link = `${this.o.publicUrl()}/auth/email/verify?token=${token}`;
    const minutes = Math.round(this.o.ttlSeconds / 60);
    // The same mail for a new and a known address: what the account holds is none of the inbox's business.
    await this.mailer.send('sign_in', {
      to: email,
      subject: 'Your Pipevideo sign-in link',
      text: `Sign in to Pipevideo: ${link}\n\nThe link works once, for ${minutes} minutes. If you did not ask for it, ignore this mail.`,
      html: `<p><a href="${escapeHtml(link)}">Sign in to Pipevideo</a></p><p>The link works once, for ${minutes} minutes. If you did not ask for it, ignore this mail.</p>`,
    });
  }

  /** Consumes a link's token: the user (made on first sign-in) and where to go next, or undefined. */
  async verify(token: unknown, ip: string): Promise<{ user: User; returnTo?: string } | undefined> {
    await this.limits.attempt('ip', ip, 'email', this.metrics);
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
      this.metrics.signIns.inc({ method: 'email', outcome: 'invalid_token' });
      return undefined;
    }
    const r = await this.ds.query(
      `UPDATE email_sign_in_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING email, return_to`,
      [sha256(token)],
    );
    const row = Array.isArray(r[0]) ? r[0][0] : r[0];
    if (!row) {
      this.metrics.signIns.inc({ method: 'email', outcome: 'invalid_token' });
      return undefined;
    }
    const user = await this.users.upsertByEmail(row.email);
    this.metrics.signIns.inc({ method: 'email', outcome: 'success' });
    return { user, returnTo: row.return_to ?? undefined };
  }
}
