/** Waits while a generation runs: short first (most jobs take seconds here), growing to `maxMs`, with jitter. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export function* pollDelays({ initialMs = 1000, maxMs = 10_000, factor = 1.5 }: BackoffOptions = {}): Generator<number, never> {
  let next = initialMs;
  for (;;) {
    // ±20 % so that many clients started together do not poll in lockstep.
    yield Math.round(next * (0.8 + Math.random() * 0.4));
    next = Math.min(maxMs, next * factor);
  }
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
