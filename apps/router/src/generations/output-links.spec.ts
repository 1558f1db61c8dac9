import { DiskStorage, LinkSigner, OutputLinks } from '@pipevideo/platform';
import type { GenerationRow } from './generation.types';
import { GenerationLinker, NO_LINKS } from './output-links';
import { responseView, videoGenerationView } from './views';

const linker = new GenerationLinker(new OutputLinks(new DiskStorage('/tmp/unused', new LinkSigner('router-test-signing-key'), 'https://api.test'), 3600));
const file = (retainedUntil: Date) => ({ key: 'outputs/gen_1/1/video.mp4', bytes: 10, sha256: 'ab'.repeat(32), contentType: 'video/mp4', durationSeconds: 4, retainedUntil: retainedUntil.toISOString() });
const row = (over: Partial<GenerationRow>) =>
  ({
    id: 'gen_1', org_id: 'org_1', api: 'video', status: 'completed', requested_model: 'm', model: 'm', provider: 'fal', route_id: null, request: {}, candidates: [],
    output_url: 'https://provider.test/x.mp4', artifact_url: null, artifact_type: null, created_at: new Date(), completed_at: new Date(), error_code: null, error_message: null,
    cost_cents: 10, input_tokens: null, output_tokens: null, ...over,
  }) as unknown as GenerationRow;

describe('GenerationLinker', () => {
  it('a stored output: our signed link (never the provider URL), expiring within the link TTL window and never after retention', async () => {
    const retained = new Date(Date.now() + 7 * 86_400_000);
    const links = await linker.of(row({ output_file: file(retained) }));
    expect(links.output!.url).toMatch(/^https:\/\/api\.test\/v1\/files\/outputs\/gen_1\/1\/video\.mp4\?expires=\d+&signature=[0-9a-f]{64}$/);
    expect(links.output!.expires_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5400);
    expect(links.retainedUntil).toBe(Math.floor(retained.getTime() / 1000));
    const view = videoGenerationView(row({ output_file: file(retained) }), [], links);
    expect(view).toMatchObject({ output_url: links.output!.url, expires_at: links.output!.expires_at, progress: 100, phase: 'completed' });
    // Near the end of retention the link ends with it.
    const soon = new Date(Date.now() + 60_000);
    expect((await linker.of(row({ output_file: file(soon) }))).output!.expires_at).toBe(Math.floor(soon.getTime() / 1000));
  });

  it('past retention: no link, and the objects say so', async () => {
    const links = await linker.of(row({ output_file: file(new Date(Date.now() - 1000)) }));
    expect(links).toMatchObject({ output: null, artifact: null, expired: true });
    expect(videoGenerationView(row({ output_file: file(new Date(Date.now() - 1000)) }), [], links)).toMatchObject({ status: 'completed', output_url: null, expires_at: null });
    const r = responseView(row({ api: 'responses', output_file: file(new Date(Date.now() - 1000)) }), links);
    expect(r).toMatchObject({ output_video_url: null, artifact_url: null });
    expect(r.output[0].content).toEqual([]);
  });

  it('rows from before stored outputs keep the provider URL with the day it promised; unfinished rows have no links', async () => {
    const completed = new Date('2026-01-01T00:00:00Z');
    expect(await linker.of(row({ completed_at: completed }))).toMatchObject({ output: { url: 'https://provider.test/x.mp4', expires_at: completed.getTime() / 1000 + 86_400 } });
    expect(await linker.of(row({ status: 'processing' }))).toBe(NO_LINKS);
  });
});
