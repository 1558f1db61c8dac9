import { badRequest, type KeyLimit, ProviderSlug, type ResponseRequest } from '@pipevideo/contracts';
import type { Catalog } from '../catalog/catalog';
import { selectEngine } from '../routing/engine-selector';
import { responseTokenHold } from './token-hold';
import { GenerationStore, newGenerationId } from '../generations/generation.store';
import type { CreatePorts } from '../generations/create-generation';
import { IdempotentCreate, insertOnce, priorCreate } from '../generations/idempotent-create';

export type { ResponseRequest };

/** All text of the prompt (input + instructions): the `auto` engine reads it. */
export function promptText(req: ResponseRequest): string {
  const parts: string[] = [req.instructions ?? ''];
  if (typeof req.input === 'string') parts.push(req.input);
  else
    for (const item of req.input ?? []) {
      const content = (item as any).content;
      if (typeof content === 'string') parts.push(content);
      else if (Array.isArray(content)) for (const p of content) if (typeof p?.text === 'string') parts.push(p.text);
    }
  return parts.join('\n');
}

/** `POST /v1/responses`: pick engine + provider, store `queued`, hold the estimated token cost before answering (the balance check). */
export async function createResponse(
  orgId: string,
  req: ResponseRequest,
  attribution: { title?: string; referer?: string } | undefined,
  correlationId: string | undefined,
  catalog: Catalog,
  store: GenerationStore,
  ports: CreatePorts & { configuredProviders: ReadonlySet<ProviderSlug>; defaultMaxOutputTokens: number },
  lease: { owner: string; ms: number },
  idem?: IdempotentCreate,
  maxInFlight?: number,
  key?: { id: string; limit?: KeyLimit | null },
) {
  // A retry of a create that went through (its answer was lost on the way back): the same response.
  const prior = await priorCreate(store, orgId, 'responses', idem, ports);
  if (prior) return prior;
  if (catalog.getEngine(req.model)) throw badRequest(`'${req.model}' is an engine slug; model must be an orchestration model id (e.g. moonshotai/kimi-k2.5). Put the engine in 'engine'. See GET /v1/engines`);
  const text = promptText(req);
  const sel = selectEngine(catalog, { model: req.model, engine: req.engine, promptText: text, providerOrder: req.provider?.order, providerPrefs: req.provider }, { configuredProviders: ports.configuredProviders });
  // Sized from this request's input and output cap (token-hold.ts), not a fixed guess.
  const hold = responseTokenHold(sel.model.pricing, req, ports.defaultMaxOutputTokens);
  const request = {
    ...req,
    engine: sel.engine,
    requestedEngine: sel.requestedEngine,
    width: req.width ?? 1080,
    height: req.height ?? 1920,
    // The cap the hold assumed is the cap the provider is told (and the no-usage rule charges).
    max_output_tokens: hold.outputTokens,
  };
  return insertOnce(
    store,
    {
      id: newGenerationId(),
      orgId,
      api: 'responses',
      requestedModel: req.model,
      request,
      candidates: [
        {
          modelSlug: req.model,
          routeId: `${sel.engine}@${sel.provider}`,
          provider: sel.provider,
          providerModelId: sel.engine,
          resolution: null,
          durationSeconds: null,
          withAudio: false,
          estimatedCostCents: hold.holdCents,
          perSecondCents: null,
        },
      ],
      appTitle: attribution?.title ?? null,
      referer: attribution?.referer ?? null,
      correlationId: correlationId ?? null,
      leaseOwner: lease.owner,
      leaseMs: lease.ms,
      maxInFlight,
      key: key ?? null,
    },
    idem,
    ports,
  );
}
