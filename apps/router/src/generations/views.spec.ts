import type { GenerationRow } from './generation.types';
import { responseUsage, responseView } from './views';

const row = (over: Partial<GenerationRow>): GenerationRow =>
  ({
    id: 'gen_x', org_id: 'org', api: 'responses', status: 'completed', requested_model: 'moonshotai/kimi-k2.5', model: null, provider: 'framerate', route_id: null,
    request: { engine: 'hyperframes' }, candidates: [], next_candidate: 1, attempt: 1, hold_id: 'gen_x:1', mode: 'poll', needs_dispatch: false, estimated_cost_cents: 7,
    cost_cents: null, output_url: 'https://cdn/x.mp4', artifact_url: null, artifact_type: null, error_code: null, error_message: null, input_tokens: null, output_tokens: null,
    tokens_charged: false, token_cost_usd: null, usage_estimated: false, app_title: null, referer: null, correlation_id: null, idempotency_key: null, idempotency_fingerprint: null,
    created_at: new Date(0), updated_at: new Date(0), processing_at: null, completed_at: new Date(1000), deadline_at: null, ...over,
  }) as GenerationRow;

it("responseView shows the output cap the job runs with (OpenAI's max_output_tokens)", () => {
  expect(responseView(row({ request: { engine: 'hyperframes', max_output_tokens: 4000 } })).max_output_tokens).toBe(4000);
  expect(responseView(row({})).max_output_tokens).toBeNull(); // created before the cap was stored
});

describe('responseUsage', () => {
  it('null until tokens are known', () => {
    expect(responseUsage(row({}))).toBeNull();
    expect(responseView(row({})).usage).toBeNull();
  });

  it('cost_usd is the exact token cost (fractional), charged_cents the whole cents posted', () => {
    const g = row({ input_tokens: 1200, output_tokens: 3400, tokens_charged: true, cost_cents: 2, token_cost_usd: 0.01092 });
    expect(responseView(g).usage).toEqual({ input_tokens: 1200, output_tokens: 3400, total_tokens: 4600, cost_usd: 0.01092, charged_cents: 2, estimated: false });
  });

  it('estimated tokens (no usage report) say so', () => {
    expect(responseUsage(row({ input_tokens: 2010, output_tokens: 4000, tokens_charged: true, cost_cents: 2, token_cost_usd: 0.013206, usage_estimated: true }))).toMatchObject({ estimated: true });
  });

  it('a refunded job (failed after its charge: cost_cents 0) shows nothing charged, tokens kept', () => {
    const g = row({ status: 'failed', input_tokens: 1200, output_tokens: 3400, tokens_charged: true, cost_cents: 0, token_cost_usd: 0.01092 });
    expect(responseUsage(g)).toEqual({ input_tokens: 1200, output_tokens: 3400, total_tokens: 4600, cost_usd: 0, charged_cents: 0, estimated: false });
  });

  it('a row charged before the exact cost was kept falls back to its cents', () => {
    expect(responseUsage(row({ input_tokens: 1, output_tokens: 1, tokens_charged: true, cost_cents: 3, token_cost_usd: null }))).toMatchObject({ cost_usd: 0.03, charged_cents: 3 });
  });
});
