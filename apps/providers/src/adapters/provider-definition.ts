import type { ApiKind, ProviderSlug } from '@pipevideo/contracts';
import type { JobMode, ProviderAdapter } from './provider-adapter';

/** Every provider has at least a base URL and a credential; a provider without one is "not configured". */
export interface BaseProviderConfig {
  baseUrl: string;
  apiKey?: string;
}

/** Service-wide settings an adapter may need. */
export interface AdapterDeps {
  /** Timeout of every provider HTTP call (submit, poll, cancel, key fetch). */
  httpTimeoutMs: number;
  /** Callback timestamps further than this from now are refused. */
  signatureToleranceSeconds: number;
  /** A failed signature check refreshes keys/secrets at most this often. */
  keyRefreshMinIntervalMs: number;
}

/** What a provider folder exports for the registry: its config (from env) and a factory. */
export interface ProviderDefinition<C extends BaseProviderConfig = BaseProviderConfig> {
  slug: ProviderSlug;
  mode: JobMode;
  api: ApiKind;
  /** The env variables it reads, for docs and error messages. */
  env: string[];
  configFromEnv(): C;
  isConfigured(config: C): boolean;
  create(config: C, deps: AdapterDeps): ProviderAdapter;
}
