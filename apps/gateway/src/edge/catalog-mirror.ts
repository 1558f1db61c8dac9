import { logger } from '@pipevideo/platform';
import type { StaticAnswers } from './static-answers';

/** The public catalog routes the gateway answers from memory, and where each comes from. */
export interface CatalogSources {
  [route: string]: () => Promise<unknown>;
}

/**
 * Keeps the public catalog (`/v1/models`, `/v1/engines`) in `StaticAnswers`: read from the router at
 * start, again every `refreshMs` (the lists carry measured route health, which moves with every
 * outcome), and at once when a router announces `catalog.updated` (a router started, possibly with
 * another catalog). A failed refresh keeps the last answers (the catalog itself only changes with a
 * router deployment); until the first read succeeds the routes fall through to the router as before.
 */
export class CatalogMirror {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly answers: StaticAnswers,
    private readonly sources: CatalogSources,
    private readonly refreshMs: number,
    private readonly onRefresh: (outcome: 'changed' | 'unchanged' | 'failed') => void = () => undefined,
  ) {}

  /** `Cache-Control` of a catalog answer: shared caches may keep it as long as we do. */
  get cacheControl(): string {
    return `public, max-age=${Math.max(1, Math.floor(this.refreshMs / 1000))}`;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  /** One refresh of every route; concurrent calls share it. */
  refresh(): Promise<void> {
    this.running ??= this.refreshAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refreshAll(): Promise<void> {
    for (const [route, load] of Object.entries(this.sources)) {
      try {
        const changed = await this.answers.set(route, await load(), this.cacheControl);
        this.onRefresh(changed ? 'changed' : 'unchanged');
      } catch (err) {
        this.onRefresh('failed');
        logger.debug({ route, err: String(err) }, 'catalog refresh failed; keeping the last answer');
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
