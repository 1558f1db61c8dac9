import { ApiError } from '../http/api-error';
import { UploadedFile } from '../http/multipart';
import { parseOpenAIVideoBody, sizeToResolution } from './openai-video.dto';

const fails = (body: unknown) => {
  try {
    parseOpenAIVideoBody(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected a 400');
};

describe('parseOpenAIVideoBody', () => {
  it('maps seconds → duration, size → resolution + aspect ratio, onto the generations request', () => {
    expect(parseOpenAIVideoBody({ model: 'google/veo-3.1', prompt: 'A cat', seconds: '8', size: '1280x720' })).toEqual({
      models: ['google/veo-3.1'], prompt: 'A cat', duration: 8, resolution: '720p', aspectRatio: '16:9',
    });
    expect(parseOpenAIVideoBody({ model: 'google/veo-3.1', prompt: 'A cat', seconds: 4 })).toMatchObject({ duration: 4 });
  });

  it('input_reference: an upload becomes a data: URI; a URL or {image_url} is passed on', () => {
    const png = new UploadedFile('cat.png', 'image/png', Buffer.from([1, 2, 3]));
    expect(parseOpenAIVideoBody({ model: 'm/x', prompt: 'p', input_reference: png }).imageUrl).toBe('data:image/png;base64,AQID');
    expect(parseOpenAIVideoBody({ model: 'm/x', prompt: 'p', input_reference: 'https://example.com/a.png' }).imageUrl).toBe('https://example.com/a.png');
    expect(parseOpenAIVideoBody({ model: 'm/x', prompt: 'p', input_reference: { image_url: 'https://example.com/b.png' } }).imageUrl).toBe('https://example.com/b.png');
    // multipart spelling of the nested field
    expect(parseOpenAIVideoBody({ model: 'm/x', prompt: 'p', 'input_reference[image_url]': 'https://example.com/c.png' }).imageUrl).toBe('https://example.com/c.png');
  });

  it("refuses what it cannot honour with OpenAI's field names", () => {
    expect(fails({ prompt: 'p' }).extra.param).toBe('model');
    expect(fails({ model: 'm/x', prompt: 'p', seconds: 'eight' }).extra.param).toBe('seconds');
    expect(fails({ model: 'm/x', prompt: 'p', size: 'big' }).extra.param).toBe('size');
    expect(fails({ model: 'm/x', prompt: 'p', remix_video_id: 'v' }).message).toMatch(/remixing is not supported/);
    expect(fails({ model: 'm/x', prompt: 'p', input_reference: { file_id: 'file_1' } }).message).toMatch(/Files API/);
    expect(fails({ model: 'm/x', prompt: 'p', 'input_reference[file_id]': 'file_1' }).message).toMatch(/Files API/);
    expect(fails({ model: 'm/x', prompt: 'p', input_reference: new UploadedFile('a.mp4', 'video/mp4', Buffer.from([1])) }).message).toMatch(/must be an image/);
    expect(fails({ model: 'm/x', prompt: 'p', input_reference: 'http://example.com/a.png' }).extra.param).toBe('input_reference');
    expect(fails({ model: 'm/x', prompt: 'p', options: { seed: 1 } }).message).toMatch(/not a parameter of POST \/v1\/videos/);
    // The generations API's own checks, renamed: an empty prompt.
    expect(fails({ model: 'm/x', prompt: '  ' }).extra.param).toBe('prompt');
    // A multipart body does not come through the JSON parser: its NUL characters are found here.
    expect(fails({ model: 'm/x', prompt: 'a\u0000b' }).message).toBe('prompt contains a NUL character (\\u0000), which is not allowed');
    expect(fails({ model: 'm/x', prompt: 'p', input_reference: new UploadedFile('a\u0000.png', 'image/png', Buffer.from([1])) }).extra.param).toBe('input_reference.filename');
  });
});

describe('sizeToResolution', () => {
  it('short side → resolution; ratio → the named aspect ratio', () => {
    expect(sizeToResolution('720x1280')).toEqual({ resolution: '720p', aspectRatio: '9:16' });
    expect(sizeToResolution('1920x1080')).toEqual({ resolution: '1080p', aspectRatio: '16:9' });
    expect(sizeToResolution('1366x768')).toEqual({ resolution: '768p', aspectRatio: '16:9' });
    expect(sizeToResolution('1024x1792')).toEqual({ resolution: '1024p', aspectRatio: '9:16' }); // Sora's portrait size: within 2% of 9:16
    expect(sizeToResolution('1000x700')).toEqual({ resolution: '700p', aspectRatio: '10:7' });
    expect(sizeToResolution('1x1')).toMatchObject({ field: 'size' });
  });
});
