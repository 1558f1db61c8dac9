import { type KV, type NatsConnection, StringCodec } from 'nats';
import { logger } from '../observability/logger';

/**
 * A small key-value store every replica of a service shares: a NATS JetStream key-value bucket, or its
 * in-memory equivalent on the in-process transport (embedded mode without NATS). Values are strings;
 * writes can be compare-and-set on a revision, and every replica can watch the whole bucket. Used for
 * state replicas must agree on within a second (route health, circuit breakers), never for money.
 */
export interface KvEntry {
  key: string;
  /** null when the key was deleted. */
  value: string | null;
  revision: number;
}

export interface SharedKv {
  get(key: string): Promise<KvEntry | null>;
  /** Writes `value` when `key` is still at `revision` (0: the key must not exist): the new revision, or null when another writer came first. */
  compareAndSet(key: string, value: string, revision: number): Promise<number | null>;
  put(key: string, value: string): Promise<void>;
  /** Calls `onChange` with every key's current value, then with every later change. */
  watch(onChange: (e: KvEntry) => void): Promise<{ stop(): void }>;
}

export interface SharedKvOptions {
  /** Entries older than this are dropped (by the server on NATS). */
  maxAgeMs: number;
}

/** Keys may hold letters, digits, `-`, `_`, `=`, `.` and `/` only: anything else (route ids have `@`) is encoded (`=` + base64url). */
export function kvKey(...parts: string[]): string {
  return parts.map((p) => (/^[A-Za-z0-9_-]+$/.test(p) ? p : `=${Buffer.from(p).toString('base64url')}`)).join('.');
}

/** The inverse of one part of kvKey. */
export function kvKeyPart(part: string): string {
  return part.startsWith('=') ? Buffer.from(part.slice(1), 'base64url').toString() : part;
}

const sc = StringCodec();

/** A JetStream KV bucket (stream `KV_<bucket>`), created on first use with history 1 and the given max age. */
export class JetStreamSharedKv implements SharedKv {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string, o: SharedKvOptions): Promise<JetStreamSharedKv> {
    const kv = await nc.jetstream().views.kv(bucket, { history: 1, ttl: o.maxAgeMs });
    return new JetStreamSharedKv(kv);
  }

  async get(key: string): Promise<KvEntry | null> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return null;
    return { key, value: sc.decode(e.value), revision: e.revision };
  }

  async compareAndSet(key: string, value: string, revision: number): Promise<number | null> {
    try {
      return revision === 0 ? await this.kv.create(key, sc.encode(value)) : await this.kv.update(key, sc.encode(value), revision);
    } catch (err) {
      if (/wrong last sequence|key exists|already exists/i.test(String(err))) return null;
      throw err;
    }
  }

  async put(key: string, value: string): Promise<void> {
    await this.kv.put(key, sc.encode(value));
  }

  async watch(onChange: (e: KvEntry) => void): Promise<{ stop(): void }> {
    const it = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of it) {
        try {
          onChange({ key: e.key, value: e.operation === 'PUT' ? sc.decode(e.value) : null, revision: e.revision });
        } catch (err) {
          logger.warn({ err: String(err), key: e.key }, 'shared kv watcher failed on an entry');
        }
      }
    })();
    return { stop: () => it.stop() };
  }
}

interface MemoryEntry {
  value: string;
  revision: number;
  at: number;
}

/** One in-memory bucket: the same semantics as the JetStream one (revisions, compare-and-set, watch, max age). */
export class InMemorySharedKv implements SharedKv {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly watchers = new Set<(e: KvEntry) => void>();
  private revision = 0;

  constructor(private readonly o: SharedKvOptions, private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<KvEntry | null> {
    const e = this.live(key);
    return e ? { key, value: e.value, revision: e.revision } : null;
  }

  async compareAndSet(key: string, value: string, revision: number): Promise<number | null> {
    const current = this.live(key)?.revision ?? 0;
    if (current !== revision) return null;
    return this.write(key, value);
  }

  async put(key: string, value: string): Promise<void> {
    this.write(key, value);
  }

  async watch(onChange: (e: KvEntry) => void): Promise<{ stop(): void }> {
    for (const key of [...this.entries.keys()]) {
      const e = this.live(key);
      if (e) onChange({ key, value: e.value, revision: e.revision });
    }
    this.watchers.add(onChange);
    return { stop: () => this.watchers.delete(onChange) };
  }

  private live(key: string): MemoryEntry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.at > this.o.maxAgeMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private write(key: string, value: string): number {
    const e = { value, revision: ++this.revision, at: this.now() };
    this.entries.set(key, e);
    // Like a NATS watch: delivered asynchronously, never inside the writer's call.
    for (const w of this.watchers) queueMicrotask(() => {
      try {
        w({ key, value, revision: e.revision });
      } catch (err) {
        logger.warn({ err: String(err), key }, 'shared kv watcher failed on an entry');
      }
    });
    return e.revision;
  }
}

/** The in-memory buckets of one in-process wiring (all services of an embedded process share them). */
export class InMemorySharedKvStore {
  private readonly buckets = new Map<string, InMemorySharedKv>();
  bucket(name: string, o: SharedKvOptions): InMemorySharedKv {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new InMemorySharedKv(o)));
    return b;
  }
}
