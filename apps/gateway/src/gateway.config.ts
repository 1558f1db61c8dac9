import { envInt } from '@pipevideo/platform';
import { AccountsConfig, accountsConfigFromEnv } from './accounts/accounts-config';

/** Default of `responsesMaxOutputTokensLimit` (also the OpenAPI document's `maximum`). */
export const DEFAULT_MAX_OUTPUT_TOKENS_LIMIT = 64_000;

/** Gateway settings; every one has an env variable (README) and a default. */
export interface GatewayConfig {
  /** Bearer token of the operator API (`/admin/*`). Unset or empty: the operator API answers 404. */
  adminToken?: string;
  /** Requests per minute per API key unless the key or its org says otherwise. */
  defaultRateLimitPerMinute: number;
  /** Requests per minute per org, summed over its keys, unless the operator set the org's. */
  defaultOrgRateLimitPerMinute: number;
  /** Requests per minute per client IP without a valid API key (public endpoints, failed authentications). */
  ipRateLimitPerMinute: number;
  /** Live API keys per org unless the operator set the org's `max_keys`. */
  defaultMaxKeysPerOrg: number;
  /** Generations (both APIs) pending or processing at once per org, unless the operator set the org's. */
  defaultMaxConcurrentGenerations: number;
  /** How long one replica reuses an API-key lookup: the bound on revocation latency. */
  keyCacheTtlMs: number;
  /** Largest accepted request body (413 above it). */
  bodyLimitBytes: number;
  /** How long an Idempotency-Key's first answer is replayed. */
  idempotencyTtlSeconds: number;
  /**
   * Largest `max_output_tokens` a Responses request may ask (400 above it). It bounds what one request
   * can make us hold: 64,000 output tokens at the dearest catalog rate ($15 per million) is 96 cents.
   */
  responsesMaxOutputTokensLimit: number;
  /** Longest wait for a downstream service before answering 503 (undefined: the platform default, PIPEVIDEO_RPC_TIMEOUT_MS or 5 s). */
  rpcTimeoutMs?: number;
  /**
   * A built dashboard (apps/dashboard `dist/public`) to serve at `/` beside the API; embedded mode sets it.
   * Unset: the gateway serves no pages (microservices mode runs the dashboard as its own deployable).
   */
  dashboardDir?: string;
  /** Human accounts: sign-in by email and OIDC, sessions, mail (accounts/accounts-config.ts). */
  accounts: AccountsConfig;
  /** How often the gateway re-reads the public catalog it serves from memory (it carries measured route health). */
  catalogRefreshMs: number;
  /** Generations each gateway replica keeps in its poll view (least recently polled leave first). */
  pollViewMaxEntries: number;
  /** Longest a poll answer is reused without a notice (bound should a notice be lost unnoticed). */
  pollViewTtlMs: number;
}

export function gatewayConfigFromEnv(overrides: Partial<Omit<GatewayConfig, 'accounts'>> & { accounts?: Partial<AccountsConfig> } = {}): GatewayConfig {
  const admin = overrides.adminToken ?? process.env.PIPEVIDEO_ADMIN_TOKEN;
  return {
    adminToken: admin ? admin : undefined,
    defaultRateLimitPerMinute: overrides.defaultRateLimitPerMinute ?? envInt('PIPEVIDEO_RATE_LIMIT_PER_MINUTE', 100),
    defaultOrgRateLimitPerMinute: overrides.defaultOrgRateLimitPerMinute ?? envInt('PIPEVIDEO_ORG_RATE_LIMIT_PER_MINUTE', 1000),
    ipRateLimitPerMinute: overrides.ipRateLimitPerMinute ?? envInt('PIPEVIDEO_IP_RATE_LIMIT_PER_MINUTE', 300),
    defaultMaxKeysPerOrg: overrides.defaultMaxKeysPerOrg ?? envInt('PIPEVIDEO_MAX_KEYS_PER_ORG', 50),
    defaultMaxConcurrentGenerations: overrides.defaultMaxConcurrentGenerations ?? envInt('PIPEVIDEO_MAX_CONCURRENT_GENERATIONS', 100),
    keyCacheTtlMs: overrides.keyCacheTtlMs ?? envInt('PIPEVIDEO_GATEWAY_KEY_CACHE_MS', 500),
    bodyLimitBytes: overrides.bodyLimitBytes ?? envInt('PIPEVIDEO_GATEWAY_BODY_LIMIT_BYTES', 900 * 1024),
    idempotencyTtlSeconds: overrides.idempotencyTtlSeconds ?? envInt('PIPEVIDEO_IDEMPOTENCY_TTL_SECONDS', 24 * 3600),
    responsesMaxOutputTokensLimit: overrides.responsesMaxOutputTokensLimit ?? envInt('PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS_LIMIT', DEFAULT_MAX_OUTPUT_TOKENS_LIMIT),
    catalogRefreshMs: overrides.catalogRefreshMs ?? envInt('PIPEVIDEO_GATEWAY_CATALOG_REFRESH_MS', 5000),
    pollViewMaxEntries: overrides.pollViewMaxEntries ?? envInt('PIPEVIDEO_GATEWAY_POLL_VIEW_MAX', 10_000),
    pollViewTtlMs: overrides.pollViewTtlMs ?? envInt('PIPEVIDEO_GATEWAY_POLL_VIEW_TTL_MS', 60_000),
    rpcTimeoutMs: overrides.rpcTimeoutMs ?? (process.env.PIPEVIDEO_GATEWAY_RPC_TIMEOUT_MS ? envInt('PIPEVIDEO_GATEWAY_RPC_TIMEOUT_MS', 5000) : undefined),
    dashboardDir: overrides.dashboardDir ?? (process.env.PIPEVIDEO_DASHBOARD_DIR || undefined),
    accounts: accountsConfigFromEnv(overrides.accounts),
  };
}

