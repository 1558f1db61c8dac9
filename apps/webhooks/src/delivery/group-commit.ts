/**
 * Coalesces many small writes into one statement without adding delay: the first item is flushed at
 * once (next tick); items that arrive while a flush runs wait for the next one and go together. Under
 * load, one round trip and one commit then serve dozens of deliveries; when idle, each goes alone.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private flushing = false;

  constructor(
    /** Writes a batch; returns one result per item, in order (an Error rejects that item only). */
    private readonly write: (items: T[]) => Promise<Array<R | Error>>,
    private readonly maxBatch = 500,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const r = results[i];
          if (r instanceof Error) b.reject(r);
          else b.resolve(r);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = false;
  }
}
