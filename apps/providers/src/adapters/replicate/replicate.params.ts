import { range, toBool, toInt, type ParamMapping } from '../common/param-mapping';

/**
 * Our video parameters → Replicate prediction `input`. The provider-wide table follows spec 004
 * (`imageUrl` as is); model rules correct it where the model's published input schema names the image
 * field differently, and state the exact durations each model makes and the model options it takes.
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
    { match: /^google\/veo-3/, durations: [4, 6, 8], fields: { imageUrl: { to: 'image' } }, options: { negative_prompt: { to: 'negative_prompt' }, seed: { to: 'seed' } } },
    // wan-video/wan-2.5-t2v / -i2v: 5 | 10, image in `image`.
    {
      match: /^wan-video\/wan-2\.5/, durations: [5, 10], fields: { imageUrl: { to: 'image' } },
      options: { negative_prompt: { to: 'negative_prompt' }, seed: { to: 'seed' }, enable_prompt_expansion: { to: 'enable_prompt_expansion' } },
    },
    // minimax/hailuo-02: 6 | 10, first frame in `first_frame_image`, no audio.
    { match: /^minimax\/hailuo-02/, durations: [6, 10], fields: { imageUrl: { to: 'first_frame_image' }, withAudio: null }, options: { prompt_optimizer: { to: 'prompt_optimizer' } } },
    // kwaivgi/kling-v3: 3..15 s, start frame in `start_image`, end frame in `end_image`.
    { match: /^kwaivgi\/kling-v3/, durations: range(3, 15), fields: { imageUrl: { to: 'start_image' } }, options: { negative_prompt: { to: 'negative_prompt' }, end_image_url: { to: 'end_image' } } },
    // bytedance/seedance-1-pro: 2..12 s, image in `image`, no audio.
    { match: /^bytedance\/seedance-1/, durations: range(2, 12), fields: { imageUrl: { to: 'image' }, withAudio: null }, options: { seed: { to: 'seed' }, camera_fixed: { to: 'camera_fixed' } } },
    // luma/ray-2-*: 5 | 9, no audio.
    { match: /^luma\/ray-2/, durations: [5, 9], fields: { withAudio: null }, options: { loop: { to: 'loop' } } },
  ],
};
