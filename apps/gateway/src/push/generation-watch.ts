import { BROADCASTS, type GenerationUpdatedMsg } from '@pipevideo/contracts';
import type { Transport } from '@pipevideo/platform';

/**
 * Wakes whoever waits on a generation (SSE streams, long-polls) when the router announces that it
 * changed: the same `generation.updated.<orgId>` broadcast that keeps the poll view current (edge/), one
 * NATS subscription per gateway replica, fanned out in memory by id. The waiter then reads the
 * generation once — the router is asked after a change, never in a loop. When broadcasts may have been
 * missed (a connection gap, a router restart), every waiter is woken to read again.
 */
export class GenerationWatch {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly unsubscribes: Array<() => void> = [];

  constructor(private readonly transport: Transport) {}

  start(): void {
    const wakeAll = () => {
      for (const set of this.waiters.values()) for (const wake of set) wake();
    };
    this.unsubscribes.push(
      this.transport.subscribe(
        `${BROADCASTS.generationUpdated}.>`,
        (_subject, data) => {
          let id: string | undefined;
          try {
            id = (JSON.parse(data) as GenerationUpdatedMsg).id;
          } catch {
            return; // a malformed notice is ignored: the waiter's own re-check still runs
          }
          for (const wake of this.waiters.get(id) ?? []) wake();
        },
        wakeAll,
      ),
      this.transport.subscribe(BROADCASTS.generationViewReset, wakeAll),
    );
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
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
