import { asString, range, secondsSuffix, toBool, type ParamMapping } from '../common/param-mapping';

/**
 * Our video parameters → fal model input (the JSON body of `POST /{model_id}`). Model rules are keyed
 * by the fal model path (the first match wins) and state the exact durations each model makes and the
 * model options it takes; the catalog-agreement test holds them equal to the router's catalog.
 */
export const FAL_PARAMS: ParamMapping = {
  required: ['prompt'],
  fields: {
    prompt: { to: 'prompt' },
    aspectRatio: { to: 'aspect_ratio' },
    duration: { to: 'duration' },
    resolution: { to: 'resolution' },
    imageUrl: { to: 'image_url' },
    withAudio: { to: 'generate_audio', transform: toBool },
  },
  models: [
    // Veo 3 / 3.1 (+ fast, image-to-video): duration is "4s" | "6s" | "8s".
    {
      match: /^fal-ai\/veo3(\.1)?(\/|$)/, durations: [4, 6, 8], fields: { duration: { to: 'duration', transform: secondsSuffix } },
      options: { negative_prompt: { to: 'negative_prompt' }, seed: { to: 'seed' } },
    },
    // Luma Ray 2: "5s" | "9s".
    {
      match: /^fal-ai\/luma-dream-machine\/ray-2/, durations: [5, 9], fields: { duration: { to: 'duration', transform: secondsSuffix }, withAudio: null },
      options: { loop: { to: 'loop' } },
    },
    // Kling 3.0: duration is an enum string "3".."15"; end frame on image-to-video.
    {
      match: /^fal-ai\/kling-video\/v3\//, durations: range(3, 15), fields: { duration: { to: 'duration', transform: asString } },
      options: { negative_prompt: { to: 'negative_prompt' }, end_image_url: { to: 'end_image_url' } },
    },
    // Wan 2.5: "5" | "10".
    {
      match: /^fal-ai\/wan-25/, durations: [5, 10], fields: { duration: { to: 'duration', transform: asString } },
      options: { negative_prompt: { to: 'negative_prompt' }, seed: { to: 'seed' }, enable_prompt_expansion: { to: 'enable_prompt_expansion' } },
    },
    // Hailuo 02: "6" | "10"; no audio flag.
    {
      match: /^fal-ai\/minimax\/hailuo-02/, durations: [6, 10], fields: { duration: { to: 'duration', transform: asString }, withAudio: null },
      options: { prompt_optimizer: { to: 'prompt_optimizer' } },
    },
    // Seedance 1.0 Pro: "2".."12"; no audio flag.
    {
      match: /^fal-ai\/bytedance\/seedance/, durations: range(2, 12), fields: { duration: { to: 'duration', transform: asString }, withAudio: null },
      options: { seed: { to: 'seed' }, camera_fixed: { to: 'camera_fixed' } },
    },
  ],
};
