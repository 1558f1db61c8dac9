import { FAL_PARAMS } from '../fal/fal.params';
import { FRAMERATE_PARAMS } from '../framerate/framerate.params';
import { REPLICATE_PARAMS } from '../replicate/replicate.params';
import { VERCEL_GATEWAY_PARAMS } from '../vercel-gateway/vercel-gateway.params';
import { mapParams, range } from './param-mapping';

const video = { prompt: 'a cat', aspectRatio: '16:9', duration: 5, imageUrl: 'https://example.com/cat.png', withAudio: true, resolution: '720p' };
const refused = (message: string) => expect.objectContaining({ kind: 'bad_request', message: expect.stringContaining(message) });

describe('parameter mapping (spec 004 table)', () => {
  it('fal: aspect_ratio, image_url, generate_audio; model options under fal names', () => {
    const out = mapParams(FAL_PARAMS, { ...video, options: { negative_prompt: 'blur', end_image_url: 'https://example.com/end.png' } }, 'fal-ai/kling-video/v3/pro/image-to-video', 'fal');
    expect(out).toEqual({
      prompt: 'a cat',
      aspect_ratio: '16:9',
      duration: '5',
      resolution: '720p',
      image_url: 'https://example.com/cat.png',
      generate_audio: true,
      negative_prompt: 'blur',
      end_image_url: 'https://example.com/end.png',
    });
  });

  it('nothing unpriced passes: an option the model does not take is refused, never forwarded', () => {
    expect(() => mapParams(FAL_PARAMS, { prompt: 'x', duration: 8, options: { num_videos: 4 } }, 'fal-ai/veo3.1', 'fal')).toThrow(refused('option num_videos is not taken'));
    expect(() => mapParams(FAL_PARAMS, { prompt: 'x', duration: 8, extra: { num_videos: 4 } } as never, 'fal-ai/veo3.1', 'fal')).not.toThrow();
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 8, extra: { num_videos: 4 } } as never, 'fal-ai/veo3.1', 'fal')).toEqual({ prompt: 'x', duration: '8s' });
  });

  it('fal Veo: exactly 4, 6 or 8 s ("4s"…); any other value is refused, never rounded', () => {
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 6 }, 'fal-ai/veo3.1', 'fal').duration).toBe('6s');
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 4 }, 'fal-ai/veo3.1/fast/image-to-video', 'fal').duration).toBe('4s');
    for (const d of [5, 4.01, 6.01, 12]) expect(() => mapParams(FAL_PARAMS, { prompt: 'x', duration: d }, 'fal-ai/veo3.1', 'fal')).toThrow(refused(`duration ${d} is not made by fal fal-ai/veo3.1 (it makes 4, 6, 8 s)`));
    // no duration requested → none sent (the router always sends one; this is the table's own rule)
    expect(mapParams(FAL_PARAMS, { prompt: 'x' }, 'fal-ai/veo3.1', 'fal')).toEqual({ prompt: 'x' });
  });

  it('whole-second models refuse fractions (4.4 s is not made as 4 s)', () => {
    expect(() => mapParams(REPLICATE_PARAMS, { prompt: 'x', duration: 4.4 }, 'kwaivgi/kling-v3-video', 'replicate')).toThrow(refused('duration 4.4 is not made'));
    expect(mapParams(REPLICATE_PARAMS, { prompt: 'x', duration: 4 }, 'kwaivgi/kling-v3-video', 'replicate').duration).toBe(4);
  });

  it('a model without a rule makes no known duration: refused', () => {
    expect(() => mapParams(REPLICATE_PARAMS, { prompt: 'x', duration: 5 }, 'some/model', 'replicate')).toThrow(refused('no duration known'));
  });

  it('fal: models without audio drop the flag; audio false is sent as false (a provider default must not add audio)', () => {
    expect(mapParams(FAL_PARAMS, { prompt: 'x', withAudio: false }, 'fal-ai/minimax/hailuo-02/standard/text-to-video', 'fal')).toEqual({ prompt: 'x' });
    expect(mapParams(FAL_PARAMS, { prompt: 'x', withAudio: false }, 'fal-ai/veo3.1', 'fal')).toEqual({ prompt: 'x', generate_audio: false });
  });

  it('Replicate: aspect_ratio, integer duration; Veo takes `image` and seed', () => {
    const veo = mapParams(REPLICATE_PARAMS, { ...video, duration: 6, options: { seed: 1 } }, 'google/veo-3.1', 'replicate');
    expect(veo).toEqual({ prompt: 'a cat', aspect_ratio: '16:9', duration: 6, resolution: '720p', image: 'https://example.com/cat.png', generate_audio: true, seed: 1 });
  });

  it('Vercel: camelCase, n = 1, WxH resolution, seed, imageUrl refused', () => {
    const { imageUrl: _drop, ...noImage } = video;
    expect(mapParams(VERCEL_GATEWAY_PARAMS, { ...noImage, duration: 6, options: { seed: 1 } }, 'google/veo-3.1-generate-001', 'vercel-gateway')).toEqual({
      n: 1,
      prompt: 'a cat',
      aspectRatio: '16:9',
      duration: 6,
      resolution: '1280x720',
      generateAudio: true,
      seed: 1,
    });
    expect(mapParams(VERCEL_GATEWAY_PARAMS, { prompt: 'x', resolution: '1080p', aspectRatio: '9:16' }, 'klingai/kling-v3.0-t2v', 'vercel-gateway').resolution).toBe('1080x1920');
    expect(() => mapParams(VERCEL_GATEWAY_PARAMS, { ...video, duration: 6 }, 'google/veo-3.1-generate-001', 'vercel-gateway')).toThrow(refused('imageUrl is not supported'));
  });

  it('Framerate: Responses fields, aspect_ratio snake_case, the output cap as max_output_tokens', () => {
    expect(
      mapParams(
        FRAMERATE_PARAMS,
        { engine: 'lottie', model: 'moonshotai/kimi-k2.5', input: 'hi', width: 512, height: 512, aspectRatio: '1:1', expand_prompt: true, max_output_tokens: 1234 },
        'framerate',
        'framerate',
      ),
    ).toEqual({ engine: 'lottie', model: 'moonshotai/kimi-k2.5', input: 'hi', width: 512, height: 512, aspect_ratio: '1:1', expand_prompt: true, max_output_tokens: 1234 });
    expect(mapParams(FRAMERATE_PARAMS, { engine: 'hyperframes', model: 'm', input: 'hi' }, 'framerate', 'framerate')).not.toHaveProperty('max_output_tokens');
  });

  it('a missing prompt is a bad request', () => {
    expect(() => mapParams(FAL_PARAMS, { prompt: '  ' }, 'fal-ai/veo3.1', 'fal')).toThrow(expect.objectContaining({ kind: 'bad_request' }));
  });

  it('range', () => {
    expect(range(3, 6)).toEqual([3, 4, 5, 6]);
  });
});
