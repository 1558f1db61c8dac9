import type { ProviderAdapter } from '../adapters/provider-adapter';
import type { AdapterDeps } from '../adapters/provider-definition';
import { PROVIDER_DEFINITIONS } from '../adapters/registry';
import type { ProvidersConfig } from '../providers.config';
import type { ProviderMetrics } from '../providers.metrics';
import { instrumentAdapter } from './instrumented-adapter';

/** The adapters of the configured providers, instrumented; a provider without credentials has none. */
export class AdapterSet {
  private readonly bySlug = new Map<string, ProviderAdapter>();

  constructor(config: ProvidersConfig, metrics: ProviderMetrics, adapters?: ProviderAdapter[]) {
    const deps: AdapterDeps = {
      httpTimeoutMs: config.httpTimeoutMs,
      signatureToleranceSeconds: config.signatureToleranceSeconds,
      keyRefreshMinIntervalMs: config.keyRefreshMinIntervalMs,
    };
    const list =
      adapters ??
      PROVIDER_DEFINITIONS.filter((d) => d.isConfigured(config.providers[d.slug])).map((d) => d.create(config.providers[d.slug], deps));
    for (const a of list) this.bySlug.set(a.slug, instrumentAdapter(a, metrics));
  }

  get(slug: string): ProviderAdapter | undefined {
    return this.bySlug.get(slug);
  }

  slugs(): string[] {
    return [...this.bySlug.keys()];
  }
}

/** Builds callback URLs from the public base (configured, or this service's own address once it listens). */
export class CallbackUrls {
  private base?: string;

  constructor(configured?: string) {
    this.base = configured?.replace(/\/+$/, '');
  }

  /** Called once the service listens; a configured public URL wins. */
  setDefault(base: string): void {
    if (!this.base) this.base = base.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    if (!this.base) throw new Error('callback base URL not known yet');
    return this.base;
  }

  for(provider: string, jobRef: string): string {
    return `${this.baseUrl}/callbacks/${encodeURIComponent(provider)}/${encodeURIComponent(jobRef)}`;
  }
}
