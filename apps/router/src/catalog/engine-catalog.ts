/**
 * `engines.json` → the Responses-API engines and orchestration models. The file's shape is checked by
 * its schema (`catalog-schema.ts`); the rules between fields are here: ids unique, cents = usd × 100,
 * a default provider among the providers, every engine model has token rates, `auto` rules and the
 * fallback name concrete engines (auto inherits the fallback's providers and models), and the default
 * engine is concrete.
 */
import type { Engine, ProviderSlug } from '@pipevideo/contracts';
import { AutoEngineRule, CatalogProblems, CatalogValidationError, ConcreteEngine, EngineDef, OrchestrationModel } from './catalog-types';
import { describeIssues, ENGINE_PROVIDER_SLUGS, engineCatalogFile, EngineEntry } from './catalog-schema';

/** Validates `engines.json` content. */
export function parseEngineCatalog(raw: unknown): { engines: EngineDef[]; orchestrationModels: OrchestrationModel[]; defaultEngine: ConcreteEngine } {
  const parsed = engineCatalogFile.safeParse(raw);
  if (!parsed.success) throw new CatalogValidationError('engine catalog', describeIssues(raw, parsed.error.issues));
  const file = parsed.data;
  const p = new CatalogProblems();

  const orchestrationModels: OrchestrationModel[] = [];
  file.orchestration_models.forEach((o, i) => {
    const opath = `orchestration_models[${i}] (${o.id})`;
    if (orchestrationModels.some((x) => x.id === o.id)) p.add(opath, `duplicate orchestration model "${o.id}"`);
    const pr = o.pricing;
    if (Math.abs(pr.input_per_million_usd * 100 - pr.input_per_million_cents) > 1e-6) {
      p.add(opath, `input_per_million_cents ${pr.input_per_million_cents} does not match input_per_million_usd ${pr.input_per_million_usd}`);
    }
    if (Math.abs(pr.output_per_million_usd * 100 - pr.output_per_million_cents) > 1e-6) {
      p.add(opath, `output_per_million_cents ${pr.output_per_million_cents} does not match output_per_million_usd ${pr.output_per_million_usd}`);
    }
    orchestrationModels.push({
      id: o.id,
      name: o.name,
      pricing: { inputPerMillionUsd: pr.input_per_million_usd, outputPerMillionUsd: pr.output_per_million_usd, inputPerMillionCents: pr.input_per_million_cents, outputPerMillionCents: pr.output_per_million_cents },
    });
  });

  const engines: EngineDef[] = [];
  const autos: { path: string; entry: EngineEntry; idx: number }[] = [];
  file.engines.forEach((e, i) => {
    const epath = `engines[${i}] (${e.slug})`;
    if (engines.some((x) => x.slug === e.slug)) return p.add(epath, `duplicate engine "${e.slug}"`);
    if (e.auto) {
      autos.push({ path: epath, entry: e, idx: engines.length });
      engines.push({ slug: e.slug, name: e.name, description: e.description, defaultProvider: 'framerate', providers: [], models: [], outputMediaType: 'video/mp4', artifactMediaType: null });
      return;
    }
    if (e.slug === 'auto') return p.add(epath, 'the auto engine needs an "auto" section {rules, fallback}');
    if (!e.default_provider) return p.add(epath, 'default_provider is required');
    if (!e.providers) return p.add(epath, 'providers is required');
    if (!e.models) return p.add(epath, 'models is required');
    for (const pv of e.providers) {
      if (!(ENGINE_PROVIDER_SLUGS as readonly string[]).includes(pv)) p.add(epath, `unknown engine provider "${pv}" (engine providers: ${ENGINE_PROVIDER_SLUGS.join(', ')})`);
    }
    if (!e.providers.includes(e.default_provider)) p.add(epath, `default_provider "${e.default_provider}" is not in providers`);
    for (const m of e.models) if (!orchestrationModels.some((o) => o.id === m)) p.add(epath, `model "${m}" has no entry in orchestration_models (rates unknown)`);
    engines.push({
      slug: e.slug,
      name: e.name,
      description: e.description,
      defaultProvider: e.default_provider as ProviderSlug,
      providers: e.providers as ProviderSlug[],
      models: e.models,
      outputMediaType: e.output_media_type ?? 'video/mp4',
      artifactMediaType: e.artifact_media_type ?? null,
    });
  });

  // `auto` engines: their rules name concrete engines; they inherit the fallback's providers and models.
  const concrete = (slug: string) => slug !== 'auto' && engines.some((x) => x.slug === slug && !x.auto && x.providers.length > 0);
  for (const { path, entry, idx } of autos) {
    const a = entry.auto!;
    if (!concrete(a.fallback)) {
      p.add(path, `auto.fallback "${a.fallback}" is not a concrete engine of this catalog`);
      continue;
    }
    const rules: AutoEngineRule[] = [];
    a.rules.forEach((r, k) => {
      if (!concrete(r.engine)) return p.add(`${path}.auto.rules[${k}]`, `engine "${r.engine}" is not a concrete engine of this catalog`);
      rules.push({ engine: r.engine as ConcreteEngine, keywords: r.keywords.map((x) => x.toLowerCase()) });
    });
    const fb = engines.find((x) => x.slug === a.fallback)!;
    engines[idx] = {
      ...engines[idx],
      defaultProvider: fb.defaultProvider,
      providers: fb.providers,
      models: fb.models,
      outputMediaType: fb.outputMediaType,
      artifactMediaType: null,
      auto: { rules, fallback: a.fallback as ConcreteEngine },
    };
  }

  let defaultEngine: ConcreteEngine = 'hyperframes';
  const d = file.default_engine;
  if (d !== undefined) {
    if (d === 'auto' || !engines.some((e) => e.slug === d && !e.auto)) p.add('root', `default_engine "${d}" is not a concrete engine of this catalog`);
    else defaultEngine = d as ConcreteEngine;
  } else if (!engines.some((e) => e.slug === ('hyperframes' satisfies Engine))) {
    p.add('root', 'default_engine is required when there is no hyperframes engine');
  }
  p.throwIfAny('engine catalog');
  return { engines, orchestrationModels, defaultEngine };
}
