import { range, toBool, toInt, type MappingContext, type ParamMapping } from '../common/param-mapping';

/**
 * The AI SDK's `resolution` is `{width}x{height}`; ours is a label like "720p". The label is the
 * short side; the long side follows the aspect ratio (default 16:9), rounded to an even number.
 */
export function resolutionToSize(value: unknown, ctx: MappingContext): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d+x\d+$/.test(value)) return value;
  const m = /^(\d+)p$/i.exec(value.trim());
  if (!m) return undefined;
  const short = Number(m[1]);
  const ar = typeof ctx.params.aspectRatio === 'string' ? /^(\d+):(\d+)$/.exec(ctx.params.aspectRatio) : null;
  const [w, h] = ar ? [Number(ar[1]), Number(ar[2])] : [16, 9];
  if (!w || !h) return undefined;
  const long = Math.round((short * Math.max(w, h)) / Math.min(w, h) / 2) * 2;
  return w >= h ? `${long}x${short}` : `${short}x${long}`;
}

/**
 * Our video parameters → the Vercel AI Gateway video body (`POST {base}/video-model/start`), the
 * AI SDK's camelCase names. `imageUrl` is refused (the catalog marks gateway routes text-to-video
 * only); the AI SDK's `seed` is the one model option it takes.
 */
export const VERCEL_GATEWAY_PARAMS: ParamMapping = {
  required: ['prompt'],
  defaults: { n: 1 },
  fields: {
    prompt: { to: 'prompt' },
    aspectRatio: { to: 'aspectRatio' },
    duration: { to: 'duration', transform: toInt },
    resolution: { to: 'resolution', transform: resolutionToSize },
    imageUrl: 'unsupported',
    withAudio: { to: 'generateAudio', transform: toBool },
  },
  options: { seed: { to: 'seed' } },
  models: [
    // Veo through the gateway has Google's constraint too: 4 | 6 | 8 s.
    { match: /^google\/veo-3/, durations: [4, 6, 8] },
    // Kling 3.0 text-to-video through the gateway: 3..10 s.
    { match: /^klingai\/kling-v3/, durations: range(3, 10) },
    // Wan 2.5: 5 | 10 s.
    { match: /^alibaba\/wan-v2\.5/, durations: [5, 10] },
    // Seedance 1.0 Pro: 2..12 s.
    { match: /^bytedance\/seedance-v1/, durations: range(2, 12), fields: { withAudio: null } },
  ],
};
