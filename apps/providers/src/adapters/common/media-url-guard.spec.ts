import { isPrivateAddress } from '@pipevideo/platform';
import { checkMediaUrl, responsesMediaUrls, urlsIn } from './media-url-guard';

const refused = (p: Promise<void>) => expect(p).rejects.toMatchObject({ kind: 'bad_request', retryable: false });

describe('media URL guard', () => {
  it('accepts https on a public address and data:image URIs', async () => {
    expect(isPrivateAddress('93.184.216.34')).toBe(false);
    await expect(checkMediaUrl('imageUrl', 'https://93.184.216.34/cat.png', false)).resolves.toBeUndefined();
    await expect(checkMediaUrl('imageUrl', 'data:image/png;base64,iVBORw0KGgo=', false)).resolves.toBeUndefined();
  });

  it('refuses http, other data URIs, loopback and private addresses', async () => {
    await refused(checkMediaUrl('imageUrl', 'http://93.184.216.34/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'data:text/html;base64,PGgxPg==', false));
    await refused(checkMediaUrl('imageUrl', 'https://127.0.0.1/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'https://10.1.2.3/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'https://[::1]/cat.png', false));
    // IPv4-mapped (in both spellings; the URL parser turns the dotted one into hex) and site-local fec0::/10.
    await refused(checkMediaUrl('imageUrl', 'https://[::ffff:169.254.169.254]/latest/meta-data', false));
    await refused(checkMediaUrl('imageUrl', 'https://[::ffff:a9fe:a9fe]/x', false));
    await refused(checkMediaUrl('imageUrl', 'https://[::ffff:8.8.8.8]/x', false));
    await refused(checkMediaUrl('imageUrl', 'https://[fec0::1]/x', false));
    expect(isPrivateAddress('2606:4700::1')).toBe(false);
    await refused(checkMediaUrl('imageUrl', 42, false));
  });

  it('PIPEVIDEO_ALLOW_PRIVATE_URLS lifts the address check (still https only)', async () => {
    await expect(checkMediaUrl('imageUrl', 'https://127.0.0.1/cat.png', true)).resolves.toBeUndefined();
    await refused(checkMediaUrl('imageUrl', 'http://127.0.0.1/cat.png', true));
  });

  it('finds every URL in a provider input, nested or not, but not in text fields', () => {
    const input = {
      prompt: 'https://example.com/a-prompt-that-is-a-url',
      negative_prompt: 'http://x',
      image_url: 'https://a/start.png',
      end_image_url: 'http://169.254.169.254/latest/meta-data',
      nested: { frames: [{ url: 'https://[::ffff:a9fe:a9fe]/f.png' }, 'data:image/png;base64,AAAA'] },
      seed: 7,
    };
    expect(urlsIn(input).map((u) => u.field).sort()).toEqual(['end_image_url', 'image_url', 'nested.frames[0].url', 'nested.frames[1]']);
  });

  it('finds image and video URLs in Responses input items', () => {
    const input = [
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'animate' },
          { type: 'input_image', image_url: { url: 'https://a/logo.png' } },
          { type: 'input_image', image_url: 'https://b/x.png' },
          { type: 'input_video', video_url: 'https://c/v.mp4' },
          { type: 'input_image', file_id: 'file_1' },
        ],
      },
    ];
    expect(responsesMediaUrls(input)).toEqual([
      { field: 'input[0].content[1].image_url', url: 'https://a/logo.png', kind: 'image' },
      { field: 'input[0].content[2].image_url', url: 'https://b/x.png', kind: 'image' },
      { field: 'input[0].content[3].video_url', url: 'https://c/v.mp4', kind: 'video' },
    ]);
    expect(responsesMediaUrls('just text')).toEqual([]);
  });
});
