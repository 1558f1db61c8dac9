/** The faces a generation is polled through: `/v1/video/generations/{id}`, `/v1/videos/{id}`, `/v1/responses/{id}`. */
export type GenerationFace = 'generation' | 'video' | 'response';

export interface GenerationViewOptions {
  /** Generations kept at most (least recently polled leave first). */
  maxEntries: number;
  /** Longest an answer is reused without a notice confirming it (the bound should a notice be lost unnoticed). */
  ttlMs: number;
  now?: () => number;
}

interface Entry {
  orgId: string;
  faces: Map<GenerationFace, { value: unknown; until: number }>;
}

/** A read of the router in flight for one id: a notice arriving meanwhile makes its answer unfit to keep. */
interface Load {
  invalidated: boolean;
}

/**
 * The gateway's per-replica view of generations as polls last saw them, kept current by the router's
 * `generation.updated` notices (sent once a change is committed): a notice drops the generation's
 * answers, so the next poll re-reads it from the router and every later poll is answered from memory
 * until the next change. A poll therefore never gets a state older than the notices this replica has
 * received; a read that was in flight when a notice arrived is answered but not kept (it may predate
 * the change). Bounded (LRU, `maxEntries`) and aged (`ttlMs`); `clear()` when notices may have been
 * lost. Answers are kept per org: another org's poll of the same id misses and gets the router's 404.
 * Errors (404, 503) are never kept.
 */
export class GenerationView {
  private readonly entries = new Map<string, Entry>();
  private readonly loads = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, Set<Load>>();
  private readonly now: () => number;

  constructor(private readonly opts: GenerationViewOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The face's answer from memory, else `load()` (coalesced with concurrent polls of the same face). */
  async get<T>(face: GenerationFace, orgId: string, id: string, load: () => Promise<T>, onResult?: (hit: boolean) => void): Promise<T> {
    const e = this.entries.get(id);
    const f = e && e.orgId === orgId ? e.faces.get(face) : undefined;
    if (f && this.now() < f.until) {
      // Most recently used last: Map iteration order is the LRU order.
      this.entries.delete(id);
      this.entries.set(id, e!);
      onResult?.(true);
      return f.value as T;
    }
    onResult?.(false);
    const key = `${face}\u0000${orgId}\u0000${id}`;
    const inflight = this.loads.get(key);
    if (inflight) return inflight as Promise<T>;
    const mark: Load = { invalidated: false };
    const marks = this.pending.get(id) ?? new Set<Load>();
    marks.add(mark);
    this.pending.set(id, marks);
    const at = this.now();
    const p = load()
      .then((value) => {
        if (!mark.invalidated) this.keep(face, orgId, id, value, at);
        return value;
      })
      .finally(() => {
        this.loads.delete(key);
        marks.delete(mark);
        if (!marks.size && this.pending.get(id) === marks) this.pending.delete(id);
      });
    this.loads.set(key, p);
    return p;
  }

  /** A notice: the generation changed (committed). */
  invalidate(id: string): void {
    this.entries.delete(id);
    for (const m of this.pending.get(id) ?? []) m.invalidated = true;
  }

  /** Notices may have been lost: forget everything (reads in flight included). */
  clear(): void {
    this.entries.clear();
    for (const marks of this.pending.values()) for (const m of marks) m.invalidated = true;
  }

  private keep(face: GenerationFace, orgId: string, id: string, value: unknown, at: number): void {
    let e = this.entries.get(id);
    if (e && e.orgId !== orgId) return; // another org's id: keep the owner's answers
    if (e) this.entries.delete(id);
    else e = { orgId, faces: new Map() };
    // Kept until the TTL, or until the answer itself goes stale by time alone (a signed link's
    // `expires_at`, the stored file's `retained_until`): no notice comes when a clock passes.
    e.faces.set(face, { value, until: Math.min(at + this.opts.ttlMs, earliestTimeBoundMs(value)) });
    this.entries.set(id, e);
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

/** The earliest `expires_at` / `retained_until` (unix seconds) anywhere in an answer, in ms; Infinity without one. */
export function earliestTimeBoundMs(value: unknown, depth = 0): number {
  if (!value || typeof value !== 'object' || depth > 4) return Infinity;
  let min = Infinity;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if ((k === 'expires_at' || k === 'retained_until') && typeof v === 'number') min = Math.min(min, v * 1000);
    else if (v && typeof v === 'object') min = Math.min(min, earliestTimeBoundMs(v, depth + 1));
  }
  return min;
}
