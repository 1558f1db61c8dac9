import type { GenerationRow } from '../generations/generation.types';
import { openaiVideoView, sizeOf } from './openai-video-view';

const candidate = { modelSlug: 'google/veo-3.1', routeId: 'veo@fal', provider: 'fal', providerModelId: 'x', resolution: '720p', durationSeconds: 8, withAudio: false, estimatedCostCents: 10, perSecondCents: 1 };
const row = (over: Partial<GenerationRow>): GenerationRow =>
  ({
    id: 'gen_x', org_id: 'org', api: 'video', status: 'pending', requested_model: 'google/veo-3.1', model: null, provider: null, route_id: null,
    request: { prompt: 'A cat', models: ['google/veo-3.1'] }, candidates: [candidate], next_candidate: 1, attempt: 1, hold_id: null, mode: null,
    needs_dispatch: true, estimated_cost_cents: 10, cost_cents: null, output_url: null, artifact_url: null, artifact_type: null, error_code: null,
    error_message: null, input_tokens: null, output_tokens: null, tokens_charged: false, token_cost_usd: null, usage_estimated: false, app_title: null,
    referer: null, correlation_id: null, idempotency_key: null, idempotency_fingerprint: null, created_at: new Date(1_000_000), updated_at: new Date(0),
    processing_at: null, completed_at: null, deadline_at: null, deleted_at: null, ...over,
  }) as GenerationRow;

describe('openaiVideoView', () => {
  it("maps the stored statuses to OpenAI's four, with progress derived from the status", () => {
    expect(openaiVideoView(row({ status: 'pending' }))).toMatchObject({ object: 'video', status: 'queued', progress: 0, error: null, completed_at: null, expires_at: null });
    expect(openaiVideoView(row({ status: 'processing' }))).toMatchObject({ status: 'in_progress', progress: 50 });
    const done = openaiVideoView(row({ status: 'completed', completed_at: new Date(2_000_000), output_url: 'https://cdn/x.mp4' }));
    expect(done).toMatchObject({ status: 'completed', progress: 100, completed_at: 2000, expires_at: 2000 + 24 * 3600, error: null });
    expect(openaiVideoView(row({ status: 'failed', error_message: 'Provider returned failure', completed_at: new Date(3_000_000) }))).toMatchObject({
      status: 'failed', progress: 0, completed_at: 3000, expires_at: null, error: { code: 'generation_failed', message: 'Provider returned failure' },
    });
    expect(openaiVideoView(row({ status: 'cancelled' }))).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
  });

  it('shows the prompt, the seconds as a string and the size of the route in use', () => {
    const v = openaiVideoView(row({ request: { prompt: 'A cat', aspectRatio: '9:16' } }));
    expect(v).toMatchObject({ prompt: 'A cat', seconds: '8', size: '720x1280', model: 'google/veo-3.1', created_at: 1000 });
    // No aspect ratio asked: the model's default (its first).
    expect(openaiVideoView(row({}), { aspectRatios: ['16:9', '9:16'] }).size).toBe('1280x720');
    expect(openaiVideoView(row({}), undefined).size).toBeNull();
  });
});

describe('sizeOf', () => {
  it('the short side is the resolution, the long side follows the aspect ratio (even pixels)', () => {
    expect(sizeOf('1080p', '16:9')).toBe('1920x1080');
    expect(sizeOf('720p', '1:1')).toBe('720x720');
    expect(sizeOf('768p', '16:9')).toBe('1366x768');
    expect(sizeOf('4k', '16:9')).toBe('3840x2160');
    expect(sizeOf('480p', '9:16')).toBe('480x854');
    expect(sizeOf(null, '16:9')).toBeNull();
    expect(sizeOf('720p', undefined)).toBeNull();
  });
});
