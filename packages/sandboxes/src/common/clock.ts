/** Tracks every timer a sandbox schedules, so close() can stop all pending job transitions at once. */
export class JobClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  /** Runs `fn` after `ms`; never runs once the clock is stopped. */
  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  /** Promise that resolves after `ms`, or never if the clock stops first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
