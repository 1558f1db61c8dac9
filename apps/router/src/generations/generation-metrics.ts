import { Gauge, type Registry } from 'prom-client';
import type { Catalog } from '../catalog/catalog';
import type { GenerationStore } from './generation.store';

/**
 * The generation gauges, read from the database at each scrape: generations by API, status, provider
 * and model (models outside the catalog as `other`, so a client cannot grow the label set), and the
 * processing generations past their deadline (should drain to 0).
 */
export function registerGenerationGauges(reg: Registry, collectors: Array<() => Promise<void>>, store: GenerationStore, catalog: Catalog): void {
  const byStatus = new Gauge({
    name: 'pipevideo_generations',
    help: 'Generations by status, provider and model (from the database)',
    labelNames: ['api', 'status', 'provider', 'model'],
    registers: [reg],
  });
  const stuck = new Gauge({ name: 'pipevideo_generations_overdue', help: 'Processing generations past their deadline (should drain to 0)', registers: [reg] });
  collectors.push(async () => {
    const rows = await store.statusCounts();
    byStatus.reset();
    for (const r of rows) byStatus.set({ api: r.api, status: r.status, provider: r.provider, model: catalog.getModel(r.model) || catalog.getOrchestrationModel(r.model) ? r.model : 'other' }, r.n);
    stuck.set(await store.overdueCount());
  });
}
