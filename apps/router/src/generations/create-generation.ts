import { badRequest, CreateGenerationMsg } from '@pipevideo/contracts';
import type { Catalog } from '../catalog/catalog';
import { selectRoutes, RouteSelectionContext } from '../routing/route-selector';
import { type GenerationStore, newGenerationId } from './generation.store';
import { type CreateOutcomePorts, idempotentCreate, insertOnce, priorCreate } from './idempotent-create';
import type { CandidateSnapshot, GenerationRow } from './generation.types';

/** What the two create use cases need: route selection, and what happens to a new or replayed generation. */
export interface CreatePorts extends CreateOutcomePorts {
  selectionContext(): RouteSelectionContext;
  observeSelection(seconds: number): void;
}

/** `POST /v1/video/generations`: resolve routes, store `pending`, hold the first affordable route's cost (the balance check), dispatch in the background. */
export async function createGeneration(
  msg: CreateGenerationMsg,
  catalog: Catalog,
  store: GenerationStore,
  ports: CreatePorts,
  lease: { owner: string; ms: number },
  idempotencyTtlSeconds: number,
) {
  const req = msg.request;
  if (!Array.isArray(req.models) || req.models.length === 0) throw badRequest('model or a non-empty models array is required');
  // A retry of a create that went through (its answer was lost on the way back): the same generation.
  const idem = idempotentCreate(msg.idempotencyKey, req, idempotencyTtlSeconds);
  const prior = await priorCreate(store, msg.orgId, 'video', idem, ports);
  if (prior) return createdView(prior);
  const started = process.hrtime.bigint();
  const candidates = selectRoutes(catalog, req, ports.selectionContext());
  ports.observeSelection(Number(process.hrtime.bigint() - started) / 1e9);
  const snapshots: CandidateSnapshot[] = candidates.map((c) => ({
    modelSlug: c.modelSlug,
    routeId: c.route.id,
    provider: c.route.provider,
    providerModelId: c.providerModelId,
    resolution: c.resolution,
    durationSeconds: c.durationSeconds,
    withAudio: c.withAudio,
    estimatedCostCents: c.estimatedCostCents,
    perSecondCents: c.perSecondCents,
  }));
  const g = await insertOnce(
    store,
    {
      id: newGenerationId(),
      orgId: msg.orgId,
      api: 'video',
      requestedModel: req.models[0],
      request: req as unknown as Record<string, unknown>,
      candidates: snapshots,
      appTitle: msg.attribution?.title ?? null,
      referer: msg.attribution?.referer ?? null,
      correlationId: msg.correlationId ?? null,
      leaseOwner: lease.owner,
      leaseMs: lease.ms,
      maxInFlight: msg.maxInFlight,
      key: msg.keyId ? { id: msg.keyId, limit: msg.keyLimit ?? null } : null,
    },
    idem,
    ports,
  );
  return createdView(g);
}

/** The create answer (spec 004). A replay shows the generation as it was created. */
function createdView(g: GenerationRow) {
  return { id: g.id, status: 'pending' as const, model: g.requested_model, created_at: Math.floor(new Date(g.created_at).getTime() / 1000) };
}
