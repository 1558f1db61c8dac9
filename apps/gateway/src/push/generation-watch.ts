import { SIGNALS, type GenerationChangedSignal } from '@pipevideo/contracts';
import type { Signals } from '@pipevideo/platform';

/**
 * Wakes whoever waits on a generation (SSE streams, long-polls) when the router signals that it
 * changed. One NATS subscription per gateway replica, fanned out in memory by id; the waiter then
 * reads the generation from the router once — the router is asked after a change, never in a loop.
 */
export class GenerationWatch {
  private readonly waiters = new Map<string, Set<() => void>>();
  private unsubscribe?: () => void;

  constructor(private readonly signals: Signals) {}

  start(): void {
    this.unsubscribe = this.signals.subscribe(SIGNALS.generationChanged, (payload) => {
      const s = payload as unknown as GenerationChangedSignal;
      for (const wake of this.waiters.get(s.id) ?? []) wake();
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Calls `wake` on every change of generation `id` until the returned function is called. */
  watch(id: string, wake: () => void): () => void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(wake);
    return () => {
      set!.delete(wake);
      if (!set!.size) this.waiters.delete(id);
    };
  }

  /** Resolves at the next change of `id`, or after `ms` (whichever is first). */
  next(id: string, ms: number): Promise<'changed' | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve('timeout');
      }, ms);
      const stop = this.watch(id, () => {
        clearTimeout(timer);
        stop();
        resolve('changed');
      });
    });
  }

  get watched(): number {
    return this.waiters.size;
  }
}
