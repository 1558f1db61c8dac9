import { envStr } from '@pipevideo/platform';
import type { ProviderDefinition } from '../provider-definition';
import { FramerateAdapter, type FramerateConfig } from './framerate.adapter';

export { FramerateAdapter, type FramerateConfig } from './framerate.adapter';
export { FRAMERATE_PARAMS } from './framerate.params';

export const framerateProvider: ProviderDefinition<FramerateConfig> = {
  slug: 'framerate',
  mode: 'poll',
  api: 'responses',
  env: ['FRAMERATE_BASE_URL', 'FRAMERATE_API_KEY'],
  configFromEnv: () => ({
    baseUrl: envStr('FRAMERATE_BASE_URL', 'https://api.framerate.dev'),
    apiKey: process.env.FRAMERATE_API_KEY || undefined,
  }),
  isConfigured: (c) => !!c.apiKey,
  create: (c, deps) => new FramerateAdapter(c, deps),
};
