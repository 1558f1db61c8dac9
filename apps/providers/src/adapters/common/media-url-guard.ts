import { ProviderErrorKind } from '@pipevideo/contracts';
import { checkOutboundUrl } from '@pipevideo/platform';
import { ProviderError } from '../provider-error';

/**
 * Media URLs a customer hands us are fetched by the provider, never by us; still, we refuse what a
 * provider could be tricked into fetching from inside a network: only `https:` (resolving to public
 * addresses) or `data:image/…` (`data:video/…` for reference clips) are accepted. The operator
 * setting `PIPEVIDEO_ALLOW_PRIVATE_URLS=true` lifts the address check (tests, embedded mode).
 */
export async function checkMediaUrl(field: string, url: unknown, allowPrivate: boolean, dataPrefixes = ['data:image/']): Promise<void> {
  if (typeof url !== 'string' || !url) throw new ProviderError(ProviderErrorKind.BadRequest, `${field} must be a URL string`);
  if (url.startsWith('data:')) {
    if (dataPrefixes.some((p) => url.toLowerCase().startsWith(p))) return;
    throw new ProviderError(ProviderErrorKind.BadRequest, `${field} must be an https URL or a ${dataPrefixes.map((p) => `${p}…`).join(' / ')} URI`);
  }
  const reason = await checkOutboundUrl(url, { allowHttp: false, allowPrivate });
  if (reason) throw new ProviderError(ProviderErrorKind.BadRequest, `${field} ${reason}`);
}

/** The image/video URLs inside OpenAI Responses input items (`input_image.image_url`, `input_video.video_url`). */
export function responsesMediaUrls(input: unknown): Array<{ field: string; url: unknown; kind: 'image' | 'video' }> {
  const found: Array<{ field: string; url: unknown; kind: 'image' | 'video' }> = [];
  if (!Array.isArray(input)) return found;
  input.forEach((item, i) => {
    const content = item && typeof item === 'object' ? (item as Record<string, unknown>).content : undefined;
    if (!Array.isArray(content)) return;
    content.forEach((part, j) => {
      if (!part || typeof part !== 'object') return;
      const p = part as Record<string, unknown>;
      for (const kind of ['image', 'video'] as const) {
        if (p.type !== `input_${kind}`) continue;
        const raw = p[`${kind}_url`];
        // `{ url }` objects (spec 002 example) or plain strings (OpenAI's shape); file_id parts carry no URL.
        const url = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).url : raw;
        if (url !== undefined) found.push({ field: `input[${i}].content[${j}].${kind}_url`, url, kind });
      }
    });
  });
  return found;
}

/** Keys whose string values are text for a model to read, never fetched (a prompt may *be* a URL). */
const TEXT_KEYS = new Set(['prompt', 'negative_prompt', 'instructions', 'text', 'input']);
const URL_LIKE = /^\s*(?:[a-z][a-z0-9+.-]*:\/\/|data:)/i;

/**
 * Every URL anywhere in what is about to be sent to a provider (image, end image, video, nested in
 * objects or arrays), with its path: the SSRF guard checks each one, whatever the field is called.
 * Text fields are skipped, except Responses input items, whose media parts are found by `responsesMediaUrls`.
 */
export function urlsIn(value: unknown, path = ''): Array<{ field: string; url: string }> {
  const found: Array<{ field: string; url: string }> = [];
  const pending: Array<{ v: unknown; at: string }> = [{ v: value, at: path }];
  while (pending.length) {
    const { v, at } = pending.pop()!;
    if (typeof v === 'string') {
      if (URL_LIKE.test(v)) found.push({ field: at || 'value', url: v.trim() });
    } else if (Array.isArray(v)) v.forEach((x, i) => pending.push({ v: x, at: `${at}[${i}]` }));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (TEXT_KEYS.has(k) && typeof x === 'string') continue;
        pending.push({ v: x, at: at ? `${at}.${k}` : k });
      }
  }
  return found;
}
