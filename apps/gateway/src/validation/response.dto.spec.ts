import { ApiError } from '../http/api-error';
import { parseResponseBody } from './response.dto';

const fail = (body: unknown) => {
  try {
    parseResponseBody(body);
  } catch (err) {
    if (err instanceof ApiError) return { message: err.message, param: err.extra.param, details: err.extra.details ?? [] };
    throw err;
  }
  throw new Error('expected a validation error');
};

describe('responses body (spec 002)', () => {
  it('accepts a prompt string and the multimodal example of spec 002, passing input through', () => {
    expect(parseResponseBody({ model: 'moonshotai/kimi-k2.5', input: 'A cat', provider: { order: ['framerate'] } })).toEqual({
      model: 'moonshotai/kimi-k2.5',
      input: 'A cat',
      provider: { order: ['framerate'] },
    });
    const input = [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'Animate this logo' },
          { type: 'input_image', image_url: { url: 'https://example.com/logo.png' } },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
          { type: 'input_video', video_url: 'https://example.com/clip.mp4' },
        ],
      },
    ];
    const r = parseResponseBody({ model: 'm', instructions: 'You are a motion designer.', input, engine: 'lottie', expand_prompt: true, width: 1920, height: 1080, aspectRatio: '16:9', metadata: { a: 'b' } });
    expect(r).toEqual({ model: 'm', instructions: 'You are a motion designer.', input, engine: 'lottie', expand_prompt: true, width: 1920, height: 1080, aspectRatio: '16:9', metadata: { a: 'b' } });
  });

  it("max_output_tokens (OpenAI's name): passed on; a positive integer at most the configured limit, else a clear 400", () => {
    expect(parseResponseBody({ model: 'm', input: 'x', max_output_tokens: 1500 })).toEqual({ model: 'm', input: 'x', max_output_tokens: 1500 });
    expect(parseResponseBody({ model: 'm', input: 'x', max_output_tokens: null })).toEqual({ model: 'm', input: 'x' }); // null = not given
    expect(fail({ model: 'm', input: 'x', max_output_tokens: 0 })).toMatchObject({ param: 'max_output_tokens', message: 'max_output_tokens must be a positive integer number of tokens' });
    expect(fail({ model: 'm', input: 'x', max_output_tokens: -3 }).message).toBe('max_output_tokens must be a positive integer number of tokens');
    expect(fail({ model: 'm', input: 'x', max_output_tokens: 10.5 }).message).toBe('max_output_tokens must be a positive integer number of tokens');
    expect(fail({ model: 'm', input: 'x', max_output_tokens: '100' }).message).toBe('max_output_tokens must be a positive integer number of tokens');
    // Default limit 64000 (PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS_LIMIT); a deployment may set its own.
    expect(parseResponseBody({ model: 'm', input: 'x', max_output_tokens: 64_000 }).max_output_tokens).toBe(64_000);
    expect(fail({ model: 'm', input: 'x', max_output_tokens: 64_001 })).toMatchObject({ param: 'max_output_tokens', message: 'max_output_tokens must be at most 64000 tokens' });
    expect(() => parseResponseBody({ model: 'm', input: 'x', max_output_tokens: 5000 }, { maxOutputTokens: 4096 })).toThrow('max_output_tokens must be at most 4096 tokens');
    expect(parseResponseBody({ model: 'm', input: 'x', max_output_tokens: 4096 }, { maxOutputTokens: 4096 }).max_output_tokens).toBe(4096);
  });

  it('ignores OpenAI fields we do not use and refuses streaming', () => {
    expect(parseResponseBody({ model: 'm', input: 'x', store: true, temperature: 1 })).toEqual({ model: 'm', input: 'x' });
    expect(fail({ model: 'm', input: 'x', stream: 'yes' }).message).toMatch(/stream must be true or false/);
  });

  it('gives field messages and the first bad field as param', () => {
    expect(fail({ input: 'x' })).toMatchObject({ param: 'model', message: expect.stringMatching(/model is required/) });
    expect(fail({ model: 'm' })).toMatchObject({ param: 'input' });
    expect(fail({ model: 'm', input: '' }).message).toBe('input must not be blank');
    expect(fail({ model: 'm', input: [] }).message).toMatch(/at least one message item/);
    expect(fail({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }).message).toMatch(/input\[0\]\.content\[0\]\.type must be input_text, input_image or input_video/);
    expect(fail({ model: 'm', input: [{ content: [{ type: 'input_image', image_url: { url: 'ftp://x' } }] }] })).toMatchObject({ param: 'input[0].content[0].image_url.url' });
    expect(fail({ model: 'm', input: [{ content: [{ type: 'input_video', video_url: 'data:image/png;base64,AAAA' }] }] }).message).toMatch(/data:video/);
    expect(fail({ model: 'm', input: 'x', engine: 'blender' }).message).toBe('engine must be one of hyperframes, lottie, auto');
    expect(fail({ model: 'm', input: 'x', width: 0 }).message).toBe('width must be a positive integer number of pixels');
    expect(fail({ model: 'm', input: 'x', height: 5000 }).message).toBe('height must be at most 4096 pixels');
    expect(fail({ model: 'm', input: 'x', width: 10.5 }).message).toMatch(/width must be a positive integer/);
    expect(fail({ model: 'm', input: 'x', expand_prompt: 'yes' }).message).toBe('expand_prompt must be true or false');
    expect(fail({ model: 'm', input: 'x', aspectRatio: 'wide' }).message).toMatch(/aspectRatio must look like/);
    // "0:0" is no shape (the video API refused it too, later): the same rule in both APIs.
    expect(parseResponseBody({ model: 'm', input: 'x', aspectRatio: '09:16' }).aspectRatio).toBe('09:16'); // zero-padded is fine
    for (const aspectRatio of ['0:0', '16:0', '0:9', '00:9', '016:9']) expect(fail({ model: 'm', input: 'x', aspectRatio }).message).toMatch(/aspectRatio must look like "16:9" \(width:height, each 1–99\)/);
    expect(fail({ model: 'm', input: 'x', provider: { order: [1] } }).message).toMatch(/provider.order/);
  });
});
