import { toBool, toInt, type ParamMapping } from '../common/param-mapping';

/**
 * Responses API parameters → Framerate `POST /v1/jobs` body. Our contract with Framerate, so the
 * names are close to ours; `aspectRatio` becomes snake_case like the rest of its API.
 * `max_output_tokens` (OpenAI's name) caps what the orchestration model writes: the router holds
 * credits for at most that many output tokens, so Framerate must not bill more.
 */
export const FRAMERATE_PARAMS: ParamMapping = {
  required: ['engine', 'model', 'input'],
  fields: {
    engine: { to: 'engine' },
    model: { to: 'model' },
    input: { to: 'input' },
    instructions: { to: 'instructions' },
    width: { to: 'width', transform: toInt },
    height: { to: 'height', transform: toInt },
    aspectRatio: { to: 'aspect_ratio' },
    expand_prompt: { to: 'expand_prompt', transform: toBool },
    max_output_tokens: { to: 'max_output_tokens', transform: toInt },
  },
};
