/**
 * Coalesces concurrent calls into batches: at most `maxInFlight` batches run at once, and calls
 * that arrive meanwhile wait and go together in the next batch (up to `maxBatch`). An idle system
 * sends each call at once (no timer, no added latency); a busy one turns N round trips and N
 * commits into one. If a batch fails as a whole, its items are retried one by one so that one bad
 * item cannot fail the others.
 */
export class Coalescer<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  /** Batches sent and items in them since start (average batch size = items / batches). */
  readonly stats = { batches: 0, items: 0 };

  constructor(
    private readonly exec: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
    private readonly maxInFlight: number,
  ) {
    if (maxBatch < 1 || maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  /**
   * Queues several calls at once (one request that carries many): they go out together, up to
   * `maxBatch` per batch, instead of the first ones each taking a batch slot of their own.
   */
  submitAll(items: I[]): Array<Promise<O>> {
    const answers = items.map((item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    this.pump();
    return answers;
  }

  /** Calls waiting for a batch slot (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.items += batch.length;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>): Promise<void> {
    try {
      const out = await this.exec(batch.map((b) => b.item));
      if (out.length !== batch.length) throw new Error(`batch returned ${out.length} results for ${batch.length} items`);
      batch.forEach((b, i) => b.resolve(out[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      await Promise.all(
        batch.map((b) =>
          this.exec([b.item]).then(
            (o) => b.resolve(o[0]),
            (e) => b.reject(e),
          ),
        ),
      );
    }
  }
}
