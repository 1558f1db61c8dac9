import { EventEmitter } from 'node:events';
import { subjectMatches } from './transport';

type RpcHandler = (data: string) => Promise<string>;

/**
 * In-process stand-in for core NATS request/reply, used in embedded mode when no NATS server
 * answers. Handlers are registered per subject (one queue group per subject is implied: a
 * single process has a single replica). Payloads stay strings to keep NATS semantics honest.
 */
export class InProcessBus extends EventEmitter {
  private readonly handlers = new Map<string, RpcHandler[]>();
  private rr = 0;
  private readonly broadcastListeners = new Set<{ pattern: string; handler: (subject: string, data: string) => void }>();

  /** Core NATS publish in one process: every matching subscriber, after a hop through the event loop. */
  broadcast(subject: string, data: string): void {
    for (const l of this.broadcastListeners) if (subjectMatches(l.pattern, subject)) setImmediate(() => l.handler(subject, data));
  }

  onBroadcast(pattern: string, handler: (subject: string, data: string) => void): () => void {
    const l = { pattern, handler };
    this.broadcastListeners.add(l);
    return () => void this.broadcastListeners.delete(l);
  }

  register(subject: string, handler: RpcHandler): () => void {
    const list = this.handlers.get(subject) ?? [];
    list.push(handler);
    this.handlers.set(subject, list);
    return () => {
      const l = this.handlers.get(subject) ?? [];
      this.handlers.set(subject, l.filter((h) => h !== handler));
    };
  }

  async request(subject: string, data: string, timeoutMs: number): Promise<string> {
    const list = this.handlers.get(subject);
    if (!list?.length) throw new Error('no responders');
    const handler = list[this.rr++ % list.length];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs}ms`)), timeoutMs);
    });
    // Hop through the event loop like a network would, so callers never rely on synchronous replies.
    await new Promise((r) => setImmediate(r));
    try {
      return await Promise.race([handler(data), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
