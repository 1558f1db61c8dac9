import { ApiError } from '../http/api-error';
import { parseVideoGenerationBody } from './video-generation.dto';

const fail = (body: unknown) => {
  try {
    parseVideoGenerationBody(body);
  } catch (err) {
    if (err instanceof ApiError) return { message: err.message, details: err.extra.details ?? [] };
    throw err;
  }
  throw new Error('expected a validation error');
};
const fieldsOf = (body: unknown) => fail(body).details.map((d) => d.field);

describe('video generation body (spec 004)', () => {
  it('normalises model → models, audio → withAudio, snake_case aliases; model options travel in options', () => {
    expect(parseVideoGenerationBody({ model: 'google/veo-3.1', prompt: 'cat', audio: true, aspect_ratio: '16:9', image_url: 'https://x.io/a.png', options: { seed: 7, negative_prompt: 'dogs' } })).toEqual({
      models: ['google/veo-3.1'],
      prompt: 'cat',
      withAudio: true,
      aspectRatio: '16:9',
      imageUrl: 'https://x.io/a.png',
      options: { seed: 7, negative_prompt: 'dogs' },
    });
    expect(
      parseVideoGenerationBody({ models: ['a/b', 'c/d'], prompt: 'p', duration: 5.5, resolution: '4K', withAudio: false, provider: { order: ['fal'], max_price: { per_request_cents: 0, per_second_cents: 12.5 } } }),
    ).toEqual({ models: ['a/b', 'c/d'], prompt: 'p', duration: 5.5, resolution: '4k', withAudio: false, provider: { order: ['fal'], max_price: { per_request_cents: 0, per_second_cents: 12.5 } } });
  });

  it('needs model or a non-empty models, and not both', () => {
    expect(fail({ prompt: 'p' }).message).toMatch(/model .* or models .* is required/);
    expect(fail({ models: [], prompt: 'p' }).message).toBe('models must be a non-empty array of model slugs');
    expect(fail({ model: 'a', models: ['b'], prompt: 'p' }).message).toMatch(/either model or models/);
    expect(fail({ models: Array(11).fill('a'), prompt: 'p' }).message).toMatch(/at most 10 models/);
    expect(fail({ models: ['a', 3], prompt: 'p' }).message).toMatch(/models must be an array of model slug strings/);
    expect(fail({ model: 42, prompt: 'p' }).message).toMatch(/model must be a model slug string/);
  });

  it('gives field messages a person can act on', () => {
    expect(fail({ model: 'm' }).message).toBe('prompt is required: a non-empty text description of the video');
    expect(fail({ model: 'm', prompt: '   ' }).message).toBe('prompt must not be blank');
    expect(fail({ model: 'm', prompt: 'x'.repeat(4001) }).message).toBe('prompt must be at most 4000 characters');
    expect(fail({ model: 'm', prompt: 'p', duration: 0 }).message).toBe('duration must be a positive number of seconds');
    expect(fail({ model: 'm', prompt: 'p', duration: '5' }).message).toBe('duration must be a positive number of seconds');
    expect(fail({ model: 'm', prompt: 'p', aspectRatio: '16x9' }).message).toMatch(/aspectRatio must look like "16:9"/);
    expect(fail({ model: 'm', prompt: 'p', resolution: 'hd' }).message).toMatch(/resolution must look like "720p"/);
    expect(fail({ model: 'm', prompt: 'p', withAudio: 'yes' }).message).toBe('withAudio must be true or false');
    expect(fail({ model: 'm', prompt: 'p', imageUrl: 'http://x.io/a.png' }).message).toMatch(/imageUrl must use https/);
    expect(fail({ model: 'm', prompt: 'p', imageUrl: 'data:video/mp4;base64,AAAA' }).message).toMatch(/imageUrl must be a data:image/);
    expect(fail({ model: 'm', prompt: 'p', provider: { order: 'fal' } }).message).toMatch(/provider.order must be an array/);
    expect(fail({ model: 'm', prompt: 'p', provider: { max_price: { per_second_cents: -1 } } }).message).toBe('provider.max_price.per_second_cents must be a non-negative number of cents');
    expect(fail({ model: 'm', prompt: 'p', provider: { colour: 'red' } }).message).toBe('provider.colour is not a known field');
    expect(fail({ model: 'm', prompt: 'p', provider: 'fal' }).message).toMatch(/provider must be an object/);
    expect(fail({ model: 'm', prompt: 'p', audio: true, withAudio: false }).message).toMatch(/conflicts/);
  });

  it('reports every bad field at once, with paths', () => {
    expect(fieldsOf({ models: [], prompt: '', duration: -1, provider: { max_price: { per_request_cents: -1 } } })).toEqual([
      'models',
      'prompt',
      'duration',
      'provider.max_price.per_request_cents',
    ]);
  });

  it('limits data URIs to 512 KiB decoded and checks base64', () => {
    const small = `data:image/png;base64,${Buffer.alloc(100).toString('base64')}`;
    expect(parseVideoGenerationBody({ model: 'm', prompt: 'p', imageUrl: small }).imageUrl).toBe(small);
    const big = `data:image/png;base64,${Buffer.alloc(512 * 1024 + 3).toString('base64')}`;
    expect(fail({ model: 'm', prompt: 'p', imageUrl: big }).message).toMatch(/at most 512 KiB/);
    expect(fail({ model: 'm', prompt: 'p', imageUrl: 'data:image/png;base64,@@@' }).message).toMatch(/invalid base64/);
  });

  it('refuses non-object bodies, fields the API does not define (nothing unpriced reaches a provider) and malformed options', () => {
    for (const b of [null, undefined, [], 'x', 3, true]) expect(() => parseVideoGenerationBody(b)).toThrow(ApiError);
    const unknown = fail({ model: 'm', prompt: 'p', generate_audio: true, num_videos: 4 });
    expect(unknown.message).toMatch(/^generate_audio is not a parameter of this API; model-specific parameters go in "options"/);
    expect(unknown.details).toEqual([expect.objectContaining({ field: 'generate_audio' }), expect.objectContaining({ field: 'num_videos' })]);
    expect(fail({ model: 'm', prompt: 'p', end_image_url: 'http://169.254.169.254/latest' }).message).toMatch(/end_image_url is not a parameter of this API/);
    expect(fail({ model: 'm', prompt: 'p', options: [1] }).message).toMatch(/options must be an object of model options/);
    expect(fail({ model: 'm', prompt: 'p', options: { 'Bad Key': 1 } }).message).toMatch(/options.Bad Key is not a valid option name/);
    expect(fail({ model: 'm', prompt: 'p', options: { frames: { url: 'x' } } }).message).toMatch(/options.frames must be a string, a finite number or a boolean/);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, i]));
    expect(fail({ model: 'm', prompt: 'p', options: many }).message).toMatch(/options may hold at most 32 keys/);
  });

  it('passes the provider routing preferences on and refuses malformed ones field by field', () => {
    expect(parseVideoGenerationBody({ model: 'm/a', prompt: 'p', provider: { only: ['fal'], ignore: ['replicate'], allow_fallbacks: false, require_parameters: true, sort: 'latency' } }).provider).toEqual({
      only: ['fal'], ignore: ['replicate'], allow_fallbacks: false, require_parameters: true, sort: 'latency',
    });
    expect(fail({ model: 'm/a', prompt: 'p', provider: { sort: 'throughput' } }).message).toBe('provider.sort must be one of price, latency, success');
    expect(fail({ model: 'm/a', prompt: 'p', provider: { only: [] } }).message).toBe('provider.only must name at least one provider (or be left out)');
    expect(fail({ model: 'm/a', prompt: 'p', provider: { ignore: 'fal' } }).message).toMatch(/^provider.ignore must be an array of provider slugs/);
    expect(fail({ model: 'm/a', prompt: 'p', provider: { allow_fallbacks: 'no' } }).message).toBe('provider.allow_fallbacks must be true or false');
    expect(fail({ model: 'm/a', prompt: 'p', provider: { require_parameters: 1 } }).message).toBe('provider.require_parameters must be true or false');
    expect(fail({ model: 'm/a', prompt: 'p', provider: { quantizations: ['fp8'] } }).message).toBe('provider.quantizations is not a known field');
  });
});
