/**
 * Every environment variable the Pipevideo services read, with its zod schema, in one place, so that
 * (1) each value is parsed and checked by the same rules wherever it is read (`envInt`, `envStr`,
 * `envBool` in env.ts go through here), and (2) a service checks its whole environment at start
 * (`assertEnvironment`): an invalid value, or a `PIPEVIDEO_*` name nobody reads (a typo), stops it with
 * a message naming the variable — and for a typo, the name it probably meant.
 *
 * The list is shared by all services (not one list per service) because deployments hand every
 * service one environment (compose's .env, the Kubernetes config map): a variable meant for the
 * router must not stop the gateway. A new variable = a line here; `variables.spec.ts` fails when the
 * repository sets or reads a `PIPEVIDEO_*` name that is missing.
 */
import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

const wholeNumber = (min: number, max?: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(max === undefined ? z.number().min(min, `must be at least ${min}`) : z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const decimal = (min: number, below?: number) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(below === undefined ? z.number().min(min, `must be at least ${min}`) : z.number().min(min, `must be at least ${min}`).lt(below, `must be below ${below}`));
const flag = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'must be true or false (also 1/0, yes/no, on/off)' }))
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
const text = z.string();
const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const DURATION = /^\d+(?:\.\d+)?\s*(ms|s|m|h|d)?$/;
const duration = z.string().regex(DURATION, 'must be a duration such as 250ms, 5s, 2m, 1h or 3d');
const durationList = z
  .string()
  .refine((v) => v.split(',').map((s) => s.trim()).filter(Boolean).length > 0 && v.split(',').map((s) => s.trim()).filter(Boolean).every((s) => DURATION.test(s)), 'must be a comma-separated list of durations such as 5s,30s,2m');

/** Who reads a variable (documentation, and the grouping of `docs/configuration.md`). */
type Reader = 'all services' | 'gateway' | 'billing' | 'router' | 'providers' | 'webhooks' | 'embedded' | 'not the services';

interface Variable {
  schema: z.ZodType;
  readBy: Reader;
}
const v = (schema: z.ZodType, readBy: Reader): Variable => ({ schema, readBy });

export const VARIABLES = {
  // every service (packages/platform)
  PORT: v(wholeNumber(0), 'all services'),
  PIPEVIDEO_SERVICE: v(text, 'all services'),
  PIPEVIDEO_NATS_PREFIX: v(text, 'all services'),
  PIPEVIDEO_NATS_STREAM_REPLICAS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_RPC_TIMEOUT_MS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_OUTBOX_INTERVAL_MS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_EVENT_MAX_DELIVERIES: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_EVENT_MAX_BACKOFF_MS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_TRUSTED_PROXIES: v(text, 'all services'),
  PIPEVIDEO_METRICS_TOKEN: v(text, 'all services'),
  PIPEVIDEO_ADMIN_TOKEN: v(text, 'gateway'),
  // gateway
  PIPEVIDEO_RATE_LIMIT_PER_MINUTE: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_ORG_RATE_LIMIT_PER_MINUTE: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_IP_RATE_LIMIT_PER_MINUTE: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_MAX_KEYS_PER_ORG: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_MAX_CONCURRENT_GENERATIONS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_GATEWAY_KEY_CACHE_MS: v(wholeNumber(0), 'gateway'),
  PIPEVIDEO_GATEWAY_BODY_LIMIT_BYTES: v(wholeNumber(1024), 'gateway'),
  PIPEVIDEO_GATEWAY_RPC_TIMEOUT_MS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_IDEMPOTENCY_TTL_SECONDS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS_LIMIT: v(wholeNumber(1), 'gateway'),
  // billing
  BILLING_DB_POOL_SIZE: v(wholeNumber(1), 'billing'),
  BILLING_HOLD_BATCH_SIZE: v(wholeNumber(1), 'billing'),
  BILLING_HOLD_BATCHES_IN_FLIGHT: v(wholeNumber(1), 'billing'),
  PIPEVIDEO_CHECKOUT_SUCCESS_URL: v(url, 'billing'),
  PIPEVIDEO_CHECKOUT_CANCEL_URL: v(url, 'billing'),
  PIPEVIDEO_CHECKOUT_CURRENCY: v(z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter currency code (e.g. usd)'), 'billing'),
  PIPEVIDEO_CHECKOUT_PRODUCT_NAME: v(text, 'billing'),
  // router
  PIPEVIDEO_CONFIGURED_PROVIDERS: v(text, 'router'),
  PIPEVIDEO_CALLBACK_TIMEOUT_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_POLL_TIMEOUT_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_DISPATCH_LEASE_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_SWEEP_INTERVAL_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_BREAKER_ERROR_PERCENT: v(wholeNumber(1), 'router'),
  PIPEVIDEO_BREAKER_VOLUME: v(wholeNumber(1), 'router'),
  PIPEVIDEO_BREAKER_RESET_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_BREAKER_WINDOW_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_BREAKER_CALL_TIMEOUT_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_RANKINGS_MIN_GENERATIONS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_ROUTE_HEALTH_WINDOW_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_ROUTE_HEALTH_FLUSH_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_ROUTE_HEALTH_MIN_SAMPLES: v(wholeNumber(1), 'router'),
  PIPEVIDEO_ROUTE_HEALTH_UNHEALTHY_BELOW_PERCENT: v(wholeNumber(0), 'router'),
  // providers
  PIPEVIDEO_PROVIDER_HTTP_TIMEOUT_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_PUBLIC_URL: v(url, 'providers'),
  PIPEVIDEO_PROVIDERS_POLL_INTERVAL_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_POLL_LEASE_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_POLL_BATCH: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_POLL_CONCURRENCY: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_CALLBACK_FALLBACK_POLL_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_MAX_POLL_ERRORS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_JOB_MAX_AGE_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_STALE_SUBMISSION_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_SIGNATURE_TOLERANCE_SECONDS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_KEY_REFRESH_MIN_INTERVAL_MS: v(wholeNumber(0), 'providers'),
  PIPEVIDEO_ALLOW_PRIVATE_URLS: v(flag, 'providers'),
  FAL_JWKS_MAX_AGE_MS: v(wholeNumber(1), 'providers'),
  // webhooks
  PIPEVIDEO_WEBHOOKS_ALLOW_HTTP: v(flag, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE: v(flag, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY: v(text, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_TIMEOUT_MS: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE: v(durationList, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_RETRY_JITTER: v(decimal(0, 1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_CONCURRENCY: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_MAX_IN_FLIGHT_PER_ORG: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_ENDPOINT_RATE_PER_SECOND: v(decimal(0), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_POLL_INTERVAL_MS: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_LEASE_MARGIN: v(duration, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_ROTATION_OVERLAP: v(duration, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_DISABLE_AFTER: v(duration, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_DISABLE_AFTER_EXHAUSTED: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_SHUTDOWN_GRACE: v(duration, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_RETENTION: v(duration, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_MAX_ENDPOINTS_PER_ORG: v(wholeNumber(1), 'webhooks'),
  PIPEVIDEO_WEBHOOKS_CONSUMER: v(text, 'webhooks'),
  PIPEVIDEO_WEBHOOKS_DB_POOL_SIZE: v(wholeNumber(1), 'webhooks'),
  // all services: history pruning (issue 19)
  PIPEVIDEO_OUTBOX_RETENTION_MS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_INBOX_RETENTION_MS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_PRUNE_INTERVAL_MS: v(wholeNumber(1), 'all services'),
  // stored outputs (issue 16): read by providers (copy-in), router (links) and gateway (content)
  PIPEVIDEO_PUBLIC_URL: v(url, 'all services'),
  PIPEVIDEO_STORAGE_DRIVER: v(z.enum(['disk', 's3'], { error: 'must be disk or s3' }), 'all services'),
  PIPEVIDEO_STORAGE_DIR: v(text, 'all services'),
  PIPEVIDEO_STORAGE_SIGNING_KEY: v(text, 'all services'),
  PIPEVIDEO_S3_ENDPOINT: v(text, 'all services'),
  PIPEVIDEO_S3_REGION: v(text, 'all services'),
  PIPEVIDEO_S3_BUCKET: v(text, 'all services'),
  PIPEVIDEO_S3_PREFIX: v(text, 'all services'),
  PIPEVIDEO_S3_ACCESS_KEY_ID: v(text, 'all services'),
  PIPEVIDEO_S3_SECRET_ACCESS_KEY: v(text, 'all services'),
  PIPEVIDEO_S3_FORCE_PATH_STYLE: v(flag, 'all services'),
  PIPEVIDEO_OUTPUT_MAX_BYTES: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_OUTPUT_RETENTION_SECONDS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_OUTPUT_LINK_TTL_SECONDS: v(wholeNumber(1), 'all services'),
  PIPEVIDEO_OUTPUT_COPY_ATTEMPTS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_OUTPUT_RETENTION_SWEEP_MS: v(wholeNumber(1), 'providers'),
  PIPEVIDEO_PROVIDERS_PROGRESS_POLL_MS: v(wholeNumber(0), 'providers'),
  // push (issue 16)
  PIPEVIDEO_SSE_MAX_PER_KEY: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_SSE_HEARTBEAT_MS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_PUSH_RECHECK_MS: v(wholeNumber(1), 'gateway'),
  // answers at the edge (issue 19)
  PIPEVIDEO_GATEWAY_CATALOG_REFRESH_MS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_GATEWAY_POLL_VIEW_MAX: v(wholeNumber(0), 'gateway'),
  PIPEVIDEO_GATEWAY_POLL_VIEW_TTL_MS: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_DISPATCH_QUEUE_MAX: v(wholeNumber(1), 'router'),
  PIPEVIDEO_DISPATCH_RETRY_WINDOW_MS: v(wholeNumber(0), 'router'),
  PIPEVIDEO_DISPATCH_RETRY_BACKOFF_MS: v(wholeNumber(1), 'router'),
  PIPEVIDEO_HOLD_BATCH_SIZE: v(wholeNumber(1, 256), 'router'), // at most billing.hold.placeMany's MAX_HOLDS_PER_REQUEST
  PIPEVIDEO_HOLD_BATCHES_IN_FLIGHT: v(wholeNumber(1), 'router'),
  // human accounts and the dashboard (issue 15)
  PIPEVIDEO_DASHBOARD_DIR: v(text, 'gateway'),
  PIPEVIDEO_API_URL: v(url, 'not the services'),
  PIPEVIDEO_DASHBOARD_TRUSTED_PROXIES: v(text, 'not the services'),
  PIPEVIDEO_SMTP_URL: v(text, 'gateway'),
  PIPEVIDEO_MAIL_FROM: v(text, 'gateway'),
  PIPEVIDEO_OIDC_ISSUER: v(url, 'gateway'),
  PIPEVIDEO_OIDC_CLIENT_ID: v(text, 'gateway'),
  PIPEVIDEO_OIDC_CLIENT_SECRET: v(text, 'gateway'),
  PIPEVIDEO_OIDC_NAME: v(text, 'gateway'),
  PIPEVIDEO_OIDC_SANDBOX: v(text, 'not the services'),
  PIPEVIDEO_COOKIE_SECURE: v(flag, 'gateway'),
  PIPEVIDEO_SESSION_TTL_SECONDS: v(wholeNumber(60), 'gateway'),
  PIPEVIDEO_EMAIL_TOKEN_TTL_SECONDS: v(wholeNumber(60), 'gateway'),
  PIPEVIDEO_INVITE_TTL_SECONDS: v(wholeNumber(60), 'gateway'),
  PIPEVIDEO_AUTH_EMAIL_LIMIT: v(wholeNumber(1), 'gateway'),
  PIPEVIDEO_AUTH_IP_LIMIT: v(wholeNumber(1), 'gateway'),
  // bring your own key (issue 22)
  PIPEVIDEO_BYOK_ENCRYPTION_KEY: v(text, 'providers'),
  PIPEVIDEO_BYOK_FEE_CENTS: v(wholeNumber(0), 'router'),
  PIPEVIDEO_BYOK_FEE_PERCENT: v(wholeNumber(0), 'router'),
  // embedded mode (`pnpm start`)
  PIPEVIDEO_TRANSPORT: v(z.enum(['auto', 'inprocess'], { error: 'must be auto or inprocess' }), 'embedded'),
  PIPEVIDEO_DATA_DIR: v(text, 'embedded'),
  PIPEVIDEO_EMBEDDED_PG_PORT: v(wholeNumber(1), 'embedded'),
  PIPEVIDEO_INTERNAL_PORT_BASE: v(wholeNumber(1), 'embedded'),
  PIPEVIDEO_SANDBOX_PORT_BASE: v(wholeNumber(1), 'embedded'),
  PIPEVIDEO_SANDBOX_JOB_MS: v(wholeNumber(0), 'embedded'),
  PIPEVIDEO_SANDBOX_CREDITS_CENTS: v(wholeNumber(0), 'embedded'),
  // Set in the same shells and deployments, read by the SDK/CLI, scripts or manifests (never by a service).
  PIPEVIDEO_API_KEY: v(text, 'not the services'),
  PIPEVIDEO_BASE_URL: v(text, 'not the services'),
  PIPEVIDEO_CONFIG_DIR: v(text, 'not the services'),
  PIPEVIDEO_OPENAPI_URL: v(text, 'not the services'),
  PIPEVIDEO_WEBHOOK_SECRET: v(text, 'not the services'),
  PIPEVIDEO_TAG: v(text, 'not the services'),
  PIPEVIDEO_SKIP_LTS_TEST: v(text, 'not the services'),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;

/** A configuration problem; its message names the variable(s). */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} configuration problems:\n - ${problems.join('\n - ')}`);
    this.name = 'ConfigError';
  }
}

const isRegistered = (name: string): name is VariableName => Object.prototype.hasOwnProperty.call(VARIABLES, name);

/** Why `raw` is not a valid value of `name`, or null. Unregistered names have no rule (null). */
function valueProblem(name: string, raw: string): string | null {
  if (!isRegistered(name)) return null;
  const r = VARIABLES[name].schema.safeParse(raw);
  return r.success ? null : `${name}=${JSON.stringify(raw)}: ${r.error.issues[0]?.message ?? 'invalid value'}`;
}

/**
 * The parsed value of a registered variable (its schema's output), or undefined when unset or
 * empty. Throws ConfigError naming the variable when the value is invalid.
 */
export function readVariable<T = unknown>(name: string, env: NodeJS.ProcessEnv = process.env): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!isRegistered(name)) return raw as T;
  const r = VARIABLES[name].schema.safeParse(raw);
  if (!r.success) throw new ConfigError([valueProblem(name, raw)!]);
  return r.data as T;
}

/** The registered name a misspelt one most likely meant, when it is close enough to be a typo. */
export function didYouMean(name: string): string | undefined {
  const candidates = Object.keys(VARIABLES).filter((n) => n.startsWith('PIPEVIDEO_'));
  const best = closest(name, candidates);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 5)) ? best : undefined;
}

/**
 * Every problem of an environment: each `PIPEVIDEO_*` name must be registered (else it is a typo, or
 * a variable nothing reads), each registered variable that is set must be valid.
 */
export function environmentProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '') continue;
    if (name.startsWith('PIPEVIDEO_') && !isRegistered(name)) {
      const meant = didYouMean(name);
      problems.push(`${name} is not a Pipevideo setting${meant ? ` — did you mean ${meant}?` : ''} (the settings are listed in docs/configuration.md)`);
      continue;
    }
    const problem = valueProblem(name, raw);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Stops a starting service (throws ConfigError) when its environment has any problem. */
export function assertEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const problems = environmentProblems(env);
  if (problems.length) throw new ConfigError(problems);
}
