import { BROADCASTS, type GenerationUpdatedMsg, RPC } from '@pipevideo/contracts';
import { logger, type Transport } from '@pipevideo/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Downstream } from '../downstream';
import { CatalogMirror } from './catalog-mirror';
import { type GenerationFace, GenerationView } from './generation-view';
import { StaticAnswers } from './static-answers';

export interface EdgeConfig {
  catalogRefreshMs: number;
  pollViewMaxEntries: number;
  pollViewTtlMs: number;
}

/** The OpenAPI document never changes while a gateway runs; clients revalidate with its ETag. */
const OPENAPI_CACHE_CONTROL = 'public, max-age=300';

/**
 * What the gateway answers without asking another service (issue 19): the public catalog and the
 * OpenAPI document from memory (`StaticAnswers`), and polls from the generation view kept current by
 * the router's `generation.updated` notices. NestJS-free; `http/static-listener.ts` serves the answers
 * (before Fastify) and the controllers call the view.
 */
export class GatewayEdge {
  readonly answers = new StaticAnswers();
  readonly view: GenerationView;
  readonly catalog: CatalogMirror;
  private readonly unsubscribe: Array<() => void> = [];
  /** Answers served from memory (by `http/static-listener.ts`), by route and result. */
  readonly staticServed: Counter<'route' | 'result'>;
  private readonly polls: Counter<'face' | 'result'>;
  private readonly notices: Counter<'kind'>;

  constructor(
    private readonly transport: Transport,
    downstream: Downstream,
    registry: Registry,
    cfg: EdgeConfig,
  ) {
    this.view = new GenerationView({ maxEntries: cfg.pollViewMaxEntries, ttlMs: cfg.pollViewTtlMs });
    const refreshes = new Counter({ name: 'pipevideo_gateway_catalog_refreshes_total', help: 'Reads of the public catalog into the gateway\'s memory, by outcome (changed, unchanged, failed)', labelNames: ['outcome'], registers: [registry] });
    this.catalog = new CatalogMirror(
      this.answers,
      { '/v1/models': () => downstream.call(RPC.router.modelsList, {}), '/v1/engines': () => downstream.call(RPC.router.enginesList, {}) },
      cfg.catalogRefreshMs,
      (outcome) => refreshes.inc({ outcome }),
    );
    this.staticServed = new Counter({ name: 'pipevideo_gateway_static_answers_total', help: 'Answers served from the gateway\'s memory (catalog, OpenAPI document), by route and result (ok, not_modified)', labelNames: ['route', 'result'], registers: [registry] });
    this.polls = new Counter({ name: 'pipevideo_gateway_poll_view_total', help: 'Polls of a generation (face: generation, video, response) answered from the gateway\'s view (hit) or read from the router (miss)', labelNames: ['face', 'result'], registers: [registry] });
    this.notices = new Counter({ name: 'pipevideo_gateway_generation_notices_total', help: 'generation.updated notices received (updated), and resets of the view (reset: a router started; gap: this gateway\'s NATS connection dropped)', labelNames: ['kind'], registers: [registry] });
    const view = this.view;
    new Gauge({ name: 'pipevideo_gateway_poll_view_entries', help: 'Generations in this gateway\'s poll view', registers: [registry], collect() { this.set(view.size); } });
  }

  /** Subscribes, starts the catalog's refreshes and resolves once the OpenAPI document is served from memory. */
  async start(openapiDocument: Record<string, unknown>): Promise<void> {
    const gap = (kind: 'reset' | 'gap') => {
      this.notices.inc({ kind });
      this.view.clear();
    };
    this.unsubscribe.push(
      this.transport.subscribe(`${BROADCASTS.generationUpdated}.>`, (_subject, data) => {
        this.notices.inc({ kind: 'updated' });
        try {
          this.view.invalidate((JSON.parse(data) as GenerationUpdatedMsg).id);
        } catch (err) {
          logger.warn({ err: String(err) }, 'unreadable generation.updated notice: the poll view starts over');
          this.view.clear();
        }
      }, () => gap('gap')),
      this.transport.subscribe(BROADCASTS.generationViewReset, () => gap('reset')),
      this.transport.subscribe(BROADCASTS.catalogUpdated, () => void this.catalog.refresh()),
    );
    this.catalog.start();
    await this.answers.set('/openapi.json', openapiDocument, OPENAPI_CACHE_CONTROL);
  }

  stop(): void {
    this.catalog.stop();
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** A poll of one face of a generation: from the view, else the router. */
  poll<T>(face: GenerationFace, orgId: string, id: string, load: () => Promise<T>): Promise<T> {
    return this.view.get(face, orgId, id, load, (hit) => this.polls.inc({ face, result: hit ? 'hit' : 'miss' }));
  }

  /**
   * A change this replica asked for (cancel, delete): its answer is forgotten as soon as the router has
   * answered, so the caller's next poll here sees it without waiting for the notice (read your writes).
   */
  async changed<T>(id: string, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } finally {
      this.view.invalidate(id);
    }
  }
}
