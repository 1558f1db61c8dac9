import { Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';

/** Metrics of human accounts. Labels stay bounded: methods, outcomes, kinds — never emails or ids. */
export class AccountsMetrics {
  /** method = email | oidc; outcome = success | invalid_token | expired | rate_limited | error | … */
  readonly signIns: Counter<'method' | 'outcome'>;
  /** kind = sign_in | invite; outcome = sent | failed */
  readonly emails: Counter<'kind' | 'outcome'>;
  /** event = created | accepted | refused */
  readonly invites: Counter<'event'>;
  /** reason = no_session | csrf | not_member | role */
  readonly sessionRefusals: Counter<'reason'>;

  constructor(registry: Registry, ds: DataSource) {
    this.signIns = new Counter({ name: 'pipevideo_auth_sign_ins_total', help: 'Sign-in attempts by method (email, oidc) and outcome', labelNames: ['method', 'outcome'], registers: [registry] });
    this.emails = new Counter({ name: 'pipevideo_auth_emails_total', help: 'Emails handed to the SMTP server, by kind (sign_in, invite) and outcome (sent, failed)', labelNames: ['kind', 'outcome'], registers: [registry] });
    this.invites = new Counter({ name: 'pipevideo_org_invites_total', help: 'Organization invitations by event (created, accepted, refused)', labelNames: ['event'], registers: [registry] });
    this.sessionRefusals = new Counter({ name: 'pipevideo_auth_session_refusals_total', help: 'Cookie-authenticated calls refused, by reason (no_session, csrf, not_member, role, no_org)', labelNames: ['reason'], registers: [registry] });
    // Counted from the table at scrape time: right across replicas and restarts.
    new Gauge({
      name: 'pipevideo_auth_sessions_active',
      help: 'Sessions not expired and not signed out (all replicas; read from the database at scrape time)',
      registers: [registry],
      async collect() {
        try {
          const [r] = await ds.query(`SELECT count(*)::int AS n FROM sessions WHERE expires_at > now()`);
          this.set(r.n);
        } catch {
          /* database unreachable: keep the last value */
        }
      },
    });
  }
}
