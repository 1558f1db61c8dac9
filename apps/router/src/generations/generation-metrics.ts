import { Counter, Gauge, type Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import type { GenerationStore } from './generation.store';

/**
 * The generation metrics, at a cost that does not grow with history: the gauge counts only generations
 * in flight (pending, processing; read through the in-flight partial index at each scrape), finished
 * ones are a counter incremented where they finish. Models outside the catalog are `other`, so a client
 * cannot grow the label set. Also the processing generations past their deadline (should drain to 0).
 */
export function registerGenerationGauges(reg: Registry, collectors: Array<() => Promise<void>>, store: GenerationStore, catalog: Catalog): void {
  const modelLabel = (model: string) => (catalog.getModel(model) || catalog.getOrchestrationModel(model) ? model : 'other');
  const byStatus = new Gauge({
    name: 'pipevideo_generations',
    help: 'Generations in flight (pending, processing) by status, provider and model (from the database); finished ones: pipevideo_generations_finished_total',
    labelNames: ['api', 'status', 'provider', 'model'],
    registers: [reg],
  });
  const finished = new Counter({
    name: 'pipevideo_generations_finished_total',
    help: 'Generations this router replica moved to a final status (completed, failed, cancelled, incomplete), by provider and model',
    labelNames: ['api', 'status', 'provider', 'model'],
    registers: [reg],
  });
  store.onFinished = (g) => finished.inc({ api: g.api, status: g.status, provider: g.provider ?? 'none', model: modelLabel(g.model ?? g.requested_model) });
  const stuck = new Gauge({ name: 'pipevideo_generations_overdue', help: 'Processing generations past their deadline (should drain to 0)', registers: [reg] });
  collectors.push(async () => {
    const rows = await store.inFlightCounts();
    byStatus.reset();
    let overdue = 0;
    for (const r of rows) {
      byStatus.inc({ api: r.api, status: r.status, provider: r.provider, model: modelLabel(r.model) }, r.n);
      overdue += r.overdue;
    }
    stuck.set(overdue);
  });
}
