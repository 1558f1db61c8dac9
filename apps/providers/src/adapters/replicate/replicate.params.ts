import { toBool, toInt, type ParamMapping } from '../common/param-mapping';

/**
 * Our video parameters → Replicate prediction `input`. Replicate inputs are free-form per model, so
 * unknown extras are merged in. The provider-wide table follows spec 004 (`imageUrl` as is); model
 * rules correct it where the model's published input schema names the image field differently.
 */
export const REPLICATE_PARAMS: ParamMapping = {
  required: ['prompt'],
  fields: {
    prompt: { to: 'prompt' },
    aspectRatio: { to: 'aspect_ratio' },
    duration: { to: 'duration', transform: toInt },
    resolution: { to: 'resolution' },
    imageUrl: { to: 'imageUrl' },
    withAudio: { to: 'generate_audio', transform: toBool },
  },
  models: [
    // google/veo-3.1(-fast): duration 4 | 6 | 8 (integer), start image in `image`.
    { match: /^google\/veo-3/, durations: [4, 6, 8], fields: { imageUrl: { to: 'image' } } },
    // wan-video/wan-2.5-t2v / -i2v: 5 | 10, image in `image`.
    { match: /^wan-video\/wan-2\.5/, durations: [5, 10], fields: { imageUrl: { to: 'image' } } },
    // minimax/hailuo-02: 6 | 10, first frame in `first_frame_image`, no audio.
    { match: /^minimax\/hailuo-02/, durations: [6, 10], fields: { imageUrl: { to: 'first_frame_image' }, withAudio: null } },
    // kwaivgi/kling-*: start frame in `start_image`.
    { match: /^kwaivgi\/kling/, fields: { imageUrl: { to: 'start_image' } } },
    // bytedance/seedance-*: image in `image`, no audio.
    { match: /^bytedance\/seedance/, fields: { imageUrl: { to: 'image' }, withAudio: null } },
    // luma/ray-*: 5 | 9, no audio.
    { match: /^luma\/ray/, durations: [5, 9], fields: { withAudio: null } },
  ],
  extra: 'merge',
};
