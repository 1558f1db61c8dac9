import { asString, secondsSuffix, toBool, type ParamMapping } from '../common/param-mapping';

/**
 * Our video parameters → fal model input (the JSON body of `POST /{model_id}`). fal's inputs are
 * free-form per model, so unknown extras are merged into the body. Model rules are keyed by the fal
 * model path; the first match wins.
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
    { match: /^fal-ai\/veo3(\.1)?(\/|$)/, durations: [4, 6, 8], fields: { duration: { to: 'duration', transform: secondsSuffix } } },
    // Luma Ray 2: "5s" | "9s".
    { match: /^fal-ai\/luma-dream-machine\/ray-2/, durations: [5, 9], fields: { duration: { to: 'duration', transform: secondsSuffix }, withAudio: null } },
    // Kling: duration is an enum string ("5", "10"; v3 takes 3–15).
    { match: /^fal-ai\/kling-video\//, fields: { duration: { to: 'duration', transform: asString } } },
    // Wan 2.5: "5" | "10".
    { match: /^fal-ai\/wan-25/, durations: [5, 10], fields: { duration: { to: 'duration', transform: asString } } },
    // Hailuo 02: "6" | "10"; no audio flag.
    { match: /^fal-ai\/minimax\/hailuo-02/, durations: [6, 10], fields: { duration: { to: 'duration', transform: asString }, withAudio: null } },
    // Seedance 1.0 Pro: "2".."12"; no audio flag.
    { match: /^fal-ai\/bytedance\/seedance/, fields: { duration: { to: 'duration', transform: asString }, withAudio: null } },
  ],
  extra: 'merge',
};
