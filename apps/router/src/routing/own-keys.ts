/**
 * Which providers each org has its own key for (bring your own key), as the router needs it on every
 * create whose candidate is a fal or Replicate route: asking the providers service each time cost the
 * create a NATS round trip. Answers are kept per org for `ttlMs`, at most `maxOrgs` of them (least
 * recently used go first); concurrent lookups of one org share one request. The providers service
 * broadcasts `provider_keys.changed` when an org saves or deletes a key, and `forget` drops that org at
 * once; the TTL bounds staleness should a notice be lost (core NATS). A stale "has a key" is safe: the
 * providers service refuses a job whose key is gone and the dispatcher falls back.
 */
export class OwnKeysCache {
  private readonly entries = new Map<string, { providers: ReadonlySet<string>; until: number }>();
  private readonly loads = new Map<string, Promise<ReadonlySet<string>>>();
  /** Bumped per org by `forget` (and for all by `clear`): a lookup that started before a change is not kept. */
  private readonly epochs = new Map<string, number>();
  private clears = 0;

  constructor(
    private readonly lookup: (orgId: string) => Promise<readonly string[]>,
    private readonly opts: { ttlMs: number; maxOrgs: number; now?: () => number },
  ) {}

  async providers(orgId: string): Promise<ReadonlySet<string>> {
    const now = (this.opts.now ?? Date.now)();
    const hit = this.entries.get(orgId);
    if (hit && hit.until > now) {
      // Most recently used last: Map iteration order is the LRU order.
      this.entries.delete(orgId);
      this.entries.set(orgId, hit);
      return hit.providers;
    }
    const loading = this.loads.get(orgId);
    if (loading) return loading;
    const epoch = this.epochOf(orgId);
    const load: Promise<ReadonlySet<string>> = this.lookup(orgId)
      .then((list) => {
        const providers: ReadonlySet<string> = new Set(list);
        if (epoch === this.epochOf(orgId)) this.keep(orgId, providers, now);
        return providers;
      })
      .finally(() => {
        // Only this lookup's own entry: a newer one (after a forget) may have taken the slot.
        if (this.loads.get(orgId) === load) this.loads.delete(orgId);
      });
    this.loads.set(orgId, load);
    return load;
  }

  /** The org's keys changed: ask again next time. */
  forget(orgId: string): void {
    // Bounded like the entries: past that many orgs changed, start every org over.
    if (this.epochs.size >= this.opts.maxOrgs) return this.clear();
    this.epochs.set(orgId, (this.epochs.get(orgId) ?? 0) + 1);
    this.entries.delete(orgId);
    this.loads.delete(orgId);
  }

  /** Notices may have been lost (reconnect): ask again for every org. */
  clear(): void {
    this.clears++;
    this.epochs.clear();
    this.entries.clear();
    this.loads.clear();
  }

  /** Changes seen for an org so far (its forgets, and every clear); the per-org counts go with a clear. */
  private epochOf(orgId: string): string {
    return `${this.clears}:${this.epochs.get(orgId) ?? 0}`;
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(orgId: string, providers: ReadonlySet<string>, now: number): void {
    this.entries.delete(orgId);
    this.entries.set(orgId, { providers, until: now + this.opts.ttlMs });
    while (this.entries.size > this.opts.maxOrgs) this.entries.delete(this.entries.keys().next().value as string);
  }
}
