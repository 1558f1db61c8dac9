import type { GenerationWatch } from './generation-watch';

/** How to read one generation and tell its states apart. */
export interface Followed<T> {
  id: string;
  /** Reads the generation from its owner (the router), once per wake-up. */
  read(): Promise<T>;
  /** What counts as a change worth pushing (status, progress, phase, queue position). */
  fingerprint(v: T): string;
  isFinal(v: T): boolean;
  /** A lost signal costs at most this long: the generation is read again after it without one. */
  recheckMs: number;
}

/**
 * Wakes on the router's generation.updated broadcasts for one generation and reads it again each time, until it is
 * final or `until()` says stop: `onChange` gets each new state. The watch is registered before the
 * first read, so a change in between is not missed.
 */
export async function follow<T>(f: Followed<T>, watch: GenerationWatch, first: T, onChange: (v: T) => void, stopped: () => boolean, onStop: (cb: () => void) => void): Promise<T> {
  let dirty = false;
  let wake: () => void = () => undefined;
  const unwatch = watch.watch(f.id, () => {
    dirty = true;
    wake();
  });
  onStop(() => wake());
  let current = first;
  try {
    while (!stopped() && !f.isFinal(current)) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, f.recheckMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      dirty = false;
      if (stopped()) break;
      let next: T;
      try {
        next = await f.read();
      } catch {
        continue; // the router unreachable for a moment: the next signal or recheck reads again
      }
      if (f.fingerprint(next) !== f.fingerprint(current)) onChange(next);
      current = next;
    }
  } finally {
    unwatch();
  }
  return current;
}

/**
 * `GET …/{id}?wait=N`: answers as soon as the status differs from what it was when the request came
 * (or at once when it is already final), else after N seconds with the state then.
 */
export async function longPoll<T>(f: Followed<T> & { status(v: T): string }, watch: GenerationWatch, waitMs: number): Promise<{ value: T; changed: boolean }> {
  let dirty = false;
  let wake: () => void = () => undefined;
  const unwatch = watch.watch(f.id, () => {
    dirty = true;
    wake();
  });
  try {
    const first = await f.read();
    if (f.isFinal(first)) return { value: first, changed: false };
    const deadline = Date.now() + waitMs;
    let current = first;
    while (Date.now() < deadline) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(f.recheckMs, Math.max(0, deadline - Date.now())));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      dirty = false;
      current = await f.read();
      if (f.status(current) !== f.status(first)) return { value: current, changed: true };
    }
    return { value: current, changed: false };
  } finally {
    unwatch();
  }
}
