import type { CandidateSnapshot, GenerationRow } from './generation.types';

/** Our normalised parameters for the provider adapter (which maps them to the provider's names). */
export function providerParams(g: GenerationRow, c: CandidateSnapshot, defaultMaxOutputTokens?: number): Record<string, unknown> {
  const r = g.request;
  if (g.api === 'responses') {
    return {
      engine: r.engine,
      model: r.model,
      input: r.input,
      instructions: r.instructions,
      width: r.width,
      height: r.height,
      aspectRatio: r.aspectRatio,
      expand_prompt: r.expand_prompt,
      // Stored at create with the default applied; a row created before the cap existed gets the default.
      max_output_tokens: r.max_output_tokens ?? defaultMaxOutputTokens,
    };
  }
  // Exactly what the candidate was priced on: its duration, resolution and audio (always sent, so a
  // provider's own default — Veo on fal makes audio unless told not to — never makes what was not
  // billed), and only the catalog-allowed options.
  return {
    prompt: r.prompt,
    duration: c.durationSeconds ?? undefined,
    aspectRatio: r.aspectRatio,
    resolution: c.resolution ?? r.resolution,
    imageUrl: r.imageUrl,
    withAudio: c.withAudio,
    options: r.options,
  };
}
