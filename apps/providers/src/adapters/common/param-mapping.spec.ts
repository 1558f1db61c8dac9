import { FAL_PARAMS } from '../fal/fal.params';
import { FRAMERATE_PARAMS } from '../framerate/framerate.params';
import { REPLICATE_PARAMS } from '../replicate/replicate.params';
import { VERCEL_GATEWAY_PARAMS } from '../vercel-gateway/vercel-gateway.params';
import { mapParams, roundUpToAllowed } from './param-mapping';

const video = { prompt: 'a cat', aspectRatio: '16:9', duration: 5, imageUrl: 'https://example.com/cat.png', withAudio: true, resolution: '720p' };

describe('parameter mapping (spec 004 table)', () => {
  it('fal: aspect_ratio, image_url, generate_audio; extras merged, mapped fields win', () => {
    const out = mapParams(FAL_PARAMS, { ...video, extra: { negative_prompt: 'blur', aspect_ratio: 'nope', seed: 7 } }, 'fal-ai/kling-video/v3/pro/image-to-video', 'fal');
    expect(out).toEqual({
      prompt: 'a cat',
      aspect_ratio: '16:9',
      duration: '5',
      resolution: '720p',
      image_url: 'https://example.com/cat.png',
      generate_audio: true,
      negative_prompt: 'blur',
      seed: 7,
    });
  });

  it('fal Veo: a requested 5 s becomes "6s" (4/6/8 only); above the max, the max', () => {
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 5 }, 'fal-ai/veo3.1', 'fal').duration).toBe('6s');
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 4 }, 'fal-ai/veo3.1/fast/image-to-video', 'fal').duration).toBe('4s');
    expect(mapParams(FAL_PARAMS, { prompt: 'x', duration: 12 }, 'fal-ai/veo3.1', 'fal').duration).toBe('8s');
    // no duration requested → none sent (the model's default applies)
    expect(mapParams(FAL_PARAMS, { prompt: 'x' }, 'fal-ai/veo3.1', 'fal')).toEqual({ prompt: 'x' });
  });

  it('fal: models without audio drop the flag', () => {
    expect(mapParams(FAL_PARAMS, { prompt: 'x', withAudio: false }, 'fal-ai/minimax/hailuo-02/standard/text-to-video', 'fal')).toEqual({ prompt: 'x' });
  });

  it('Replicate: aspect_ratio, imageUrl as in the table, integer duration; Veo rounds 5 → 6 and takes `image`', () => {
    expect(mapParams(REPLICATE_PARAMS, { ...video, extra: { seed: 1 } }, 'some/model', 'replicate')).toEqual({
      prompt: 'a cat',
      aspect_ratio: '16:9',
      duration: 5,
      resolution: '720p',
      imageUrl: 'https://example.com/cat.png',
      generate_audio: true,
      seed: 1,
    });
    const veo = mapParams(REPLICATE_PARAMS, video, 'google/veo-3.1', 'replicate');
    expect(veo.duration).toBe(6);
    expect(veo.image).toBe('https://example.com/cat.png');
    expect(veo.imageUrl).toBeUndefined();
  });

  it('Vercel: camelCase, n = 1, WxH resolution, extras dropped, imageUrl refused', () => {
    const { imageUrl: _drop, ...noImage } = video;
    expect(mapParams(VERCEL_GATEWAY_PARAMS, { ...noImage, extra: { seed: 1 } }, 'google/veo-3.1-generate-001', 'vercel-gateway')).toEqual({
      n: 1,
      prompt: 'a cat',
      aspectRatio: '16:9',
      duration: 6,
      resolution: '1280x720',
      generateAudio: true,
    });
    expect(mapParams(VERCEL_GATEWAY_PARAMS, { prompt: 'x', resolution: '1080p', aspectRatio: '9:16' }, 'klingai/kling-v3.0-t2v', 'vercel-gateway').resolution).toBe('1080x1920');
    expect(() => mapParams(VERCEL_GATEWAY_PARAMS, video, 'google/veo-3.1-generate-001', 'vercel-gateway')).toThrow(
      expect.objectContaining({ kind: 'bad_request', message: expect.stringContaining('imageUrl is not supported') }),
    );
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

  it('roundUpToAllowed', () => {
    expect(roundUpToAllowed(5, [4, 6, 8])).toBe(6);
    expect(roundUpToAllowed(3, [8, 4, 6])).toBe(4);
    expect(roundUpToAllowed(9, [4, 6, 8])).toBe(8);
  });
});
