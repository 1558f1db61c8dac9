import { envInt } from '@pipevideo/platform';

/** OpenID Connect sign-in ("Google, etc."): any issuer with discovery, configured by env. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the sign-in button (PIPEVIDEO_OIDC_NAME, default the issuer's host). */
  displayName: string;
}

/** Human accounts: sign-in, sessions, mail. Every field has an env variable (README, docs/dashboard-api.md). */
export interface AccountsConfig {
  /**
   * Where people reach the dashboard and the gateway (PIPEVIDEO_PUBLIC_URL, default http://localhost:<port>):
   * the links in emails and the OIDC redirect URI are built on it.
   */
  publicUrl?: string;
  /** `Secure` on cookies (PIPEVIDEO_COOKIE_SECURE; default: when publicUrl is https). */
  cookieSecure?: boolean;
  /** SMTP server mail goes to (PIPEVIDEO_SMTP_URL, e.g. smtp://user:pass@mail.example.com:587). Unset: sign-in by email answers 503. */
  smtpUrl?: string;
  /** From: of the mail we send (PIPEVIDEO_MAIL_FROM). */
  mailFrom: string;
  oidc?: OidcSettings;
  /** Session lifetime, sliding (PIPEVIDEO_SESSION_TTL_SECONDS, default 14 days). */
  sessionTtlSeconds: number;
  /** How long an email sign-in link works (PIPEVIDEO_EMAIL_TOKEN_TTL_SECONDS, default 15 minutes). */
  emailTokenTtlSeconds: number;
  /** How long an invitation works (PIPEVIDEO_INVITE_TTL_SECONDS, default 7 days). */
  inviteTtlSeconds: number;
  /** Sign-in emails per address per 10 minutes (PIPEVIDEO_AUTH_EMAIL_LIMIT, default 5). */
  emailStartsPerAddress: number;
  /** Sign-in attempts (email starts and token checks) per client IP per 10 minutes (PIPEVIDEO_AUTH_IP_LIMIT, default 30). */
  authAttemptsPerIp: number;
}

export function accountsConfigFromEnv(o: Partial<AccountsConfig> = {}): AccountsConfig {
  const env = process.env;
  const oidc =
    o.oidc ??
    (env.PIPEVIDEO_OIDC_ISSUER && env.PIPEVIDEO_OIDC_CLIENT_ID
      ? {
          issuer: env.PIPEVIDEO_OIDC_ISSUER,
          clientId: env.PIPEVIDEO_OIDC_CLIENT_ID,
          clientSecret: env.PIPEVIDEO_OIDC_CLIENT_SECRET ?? '',
          displayName: env.PIPEVIDEO_OIDC_NAME || new URL(env.PIPEVIDEO_OIDC_ISSUER).host,
        }
      : undefined);
  const publicUrl = o.publicUrl ?? (env.PIPEVIDEO_PUBLIC_URL || undefined);
  return {
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    cookieSecure: o.cookieSecure ?? (env.PIPEVIDEO_COOKIE_SECURE ? env.PIPEVIDEO_COOKIE_SECURE === 'true' : publicUrl?.startsWith('https:') ?? false),
    smtpUrl: o.smtpUrl ?? (env.PIPEVIDEO_SMTP_URL || undefined),
    mailFrom: o.mailFrom ?? (env.PIPEVIDEO_MAIL_FROM || 'Pipevideo <no-reply@pipevideo.local>'),
    oidc,
    sessionTtlSeconds: o.sessionTtlSeconds ?? envInt('PIPEVIDEO_SESSION_TTL_SECONDS', 14 * 24 * 3600),
    emailTokenTtlSeconds: o.emailTokenTtlSeconds ?? envInt('PIPEVIDEO_EMAIL_TOKEN_TTL_SECONDS', 15 * 60),
    inviteTtlSeconds: o.inviteTtlSeconds ?? envInt('PIPEVIDEO_INVITE_TTL_SECONDS', 7 * 24 * 3600),
    emailStartsPerAddress: o.emailStartsPerAddress ?? envInt('PIPEVIDEO_AUTH_EMAIL_LIMIT', 5),
    authAttemptsPerIp: o.authAttemptsPerIp ?? envInt('PIPEVIDEO_AUTH_IP_LIMIT', 30),
  };
}
