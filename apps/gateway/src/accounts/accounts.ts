import type { DataSource } from 'typeorm';
import type { Registry } from 'prom-client';
import type { OrgService } from '../orgs/org.service';
import type { AccountsConfig } from './accounts-config';
import { AccountsMetrics } from './accounts-metrics';
import { AuthLimits } from './auth-limits';
import { DashboardAttribution } from './dashboard-attribution';
import { SessionCookies } from './cookies';
import { EmailSignIn } from './email-sign-in';
import { Invites } from './invites';
import { Mailer } from './mailer';
import { Memberships } from './memberships';
import { OidcSignIn } from './oidc-sign-in';
import { SessionStore } from './session-store';
import { Users } from './users';

/** Human accounts, built once: the parts the auth and org controllers and the auth guard use. Framework-free. */
export class Accounts {
  readonly metrics: AccountsMetrics;
  readonly users: Users;
  readonly sessions: SessionStore;
  readonly cookies: SessionCookies;
  readonly mailer: Mailer;
  readonly limits: AuthLimits;
  readonly email: EmailSignIn;
  readonly oidc?: OidcSignIn;
  readonly members: Memberships;
  readonly invites: Invites;
  readonly attribution: DashboardAttribution;

  constructor(
    ds: DataSource,
    registry: Registry,
    orgs: OrgService,
    readonly cfg: AccountsConfig,
  ) {
    const publicUrl = () => cfg.publicUrl ?? 'http://localhost:3001';
    this.metrics = new AccountsMetrics(registry, ds);
    this.users = new Users(ds);
    this.sessions = new SessionStore(ds, cfg.sessionTtlSeconds);
    this.cookies = new SessionCookies(cfg.cookieSecure ?? false, cfg.sessionTtlSeconds);
    this.mailer = new Mailer(cfg.smtpUrl, cfg.mailFrom, this.metrics);
    this.limits = new AuthLimits(ds, { perIp: cfg.authAttemptsPerIp, perEmail: cfg.emailStartsPerAddress });
    this.email = new EmailSignIn(ds, this.users, this.mailer, this.limits, this.metrics, { ttlSeconds: cfg.emailTokenTtlSeconds, publicUrl });
    if (cfg.oidc) this.oidc = new OidcSignIn(ds, this.users, this.metrics, cfg.oidc, () => `${publicUrl()}/auth/oidc/callback`);
    this.members = new Memberships(ds, orgs);
    this.attribution = new DashboardAttribution(ds);
    this.invites = new Invites(ds, this.members, this.mailer, this.metrics, { ttlSeconds: cfg.inviteTtlSeconds, publicUrl });
  }
}
