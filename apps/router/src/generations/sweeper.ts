import { generationFailureMessage } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import { GenerationStore } from './generation.store';

export interface SweeperPorts {
  drive(id: string): Promise<void>;
  cancel(generationId: string, attempt: number): Promise<void>;
  /** A route's job timed out (route health). */
  onRouteTimeout(routeId: string): void;
}

/**
 * Makes sure every generation ends: fails processing generations past their deadline (callback
 * providers 15 min, poll providers ~10 min by default) and re-drives generations whose dispatch was
 * interrupted (a router killed mid-flight). Safe with several replicas: expired rows are claimed with
 * FOR UPDATE SKIP LOCKED, dispatch with a row lease.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private busy = false;
  constructor(
    private readonly store: GenerationStore,
    private readonly ports: SweeperPorts,
    private readonly intervalMs: number,
    private readonly dispatchGraceMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const cancels: Array<[string, number]> = [];
      const timedOut: string[] = [];
      await this.store.claimExpired(100, async (g, m) => {
        const code = g.mode === 'callback' ? 'callback_timeout' : 'generation_timeout';
        await this.store.timeOutAttempt(g.id, g.attempt, code, m);
        await this.store.finish(g.id, { status: 'failed', errorMessage: generationFailureMessage(code, 'reported'), errorCode: code, holdId: g.hold_id, keepTokenCharge: false }, m);
        cancels.push([g.id, g.attempt]);
        if (g.route_id) timedOut.push(g.route_id);
      });
      for (const routeId of timedOut) this.ports.onRouteTimeout(routeId);
      for (const [id, attempt] of cancels) void this.ports.cancel(id, attempt).catch(() => undefined);
      const due = await this.store.dueForDispatch(50, this.dispatchGraceMs);
      for (const id of due) await this.ports.drive(id);
    } catch (err) {
      logger.warn({ err: String(err) }, 'sweeper tick failed');
    } finally {
      this.busy = false;
    }
  }
}
