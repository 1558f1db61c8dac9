/** Raised when verification keys (JWKS, webhook secret) cannot be obtained and nothing is cached: HTTP 503. */
export class KeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeysUnavailableError';
  }
}

export interface KeyCacheOptions {
  /** How long fetched keys are trusted before a normal refetch (fal's examples: 24 h). */
  ttlMs: number;
  /** A forced refresh (unknown key, failed verify) happens at most this often, so forged callbacks cannot hammer the key endpoint. */
  minRefreshIntervalMs: number;
  /**
   * Keys fetched longer ago than this are never used, even when every refetch fails: a key the provider
   * revoked (and removed from its JWKS) stops verifying within this bound. Default: 2 × ttlMs.
   */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Caches verification keys fetched from the provider. Concurrent callers share one fetch. When a
 * refetch fails the stale keys keep serving (a JWKS outage must not reject callbacks we can still
 * verify) up to `maxAgeMs` after they were fetched; with nothing usable cached the failure surfaces as
 * KeysUnavailableError (the callback is answered 503 and the provider retries it).
 */
export class KeyCache<T> {
  private value?: T;
  private fetchedAt = 0;
  private lastAttempt = -Infinity;
  private inflight?: Promise<T>;
  private readonly now: () => number;

  constructor(
    private readonly fetcher: () => Promise<T>,
    private readonly opts: KeyCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Cached keys while fresh; otherwise fetched (stale keys if the fetch fails). */
  async get(): Promise<T> {
    if (this.value !== undefined && this.now() - this.fetchedAt < this.opts.ttlMs) return this.value;
    return this.load();
  }

  /** Whether a forced refresh is allowed now (rate limit). */
  canRefresh(): boolean {
    return this.now() - this.lastAttempt >= this.opts.minRefreshIntervalMs;
  }

  /** Refetches now, ignoring the TTL. Resolves to undefined when the fetch failed (stale keys are kept). */
  async refresh(): Promise<T | undefined> {
    try {
      return await this.fetchShared();
    } catch {
      return undefined;
    }
  }

  private async load(): Promise<T> {
    try {
      return await this.fetchShared();
    } catch (err) {
      if (this.value !== undefined && this.now() - this.fetchedAt < (this.opts.maxAgeMs ?? 2 * this.opts.ttlMs)) return this.value;
      throw err instanceof KeysUnavailableError ? err : new KeysUnavailableError(String((err as Error)?.message ?? err));
    }
  }

  private fetchShared(): Promise<T> {
    if (!this.inflight) {
      this.lastAttempt = this.now();
      this.inflight = this.fetcher()
        .then((v) => {
          this.value = v;
          this.fetchedAt = this.now();
          return v;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }
}
