import { envStr } from '@pipevideo/platform';
import type { ProviderDefinition } from '../provider-definition';
import { FalAdapter, type FalConfig } from './fal.adapter';

export { FalAdapter, type FalConfig } from './fal.adapter';
export { FAL_PARAMS } from './fal.params';

export const falProvider: ProviderDefinition<FalConfig> = {
  slug: 'fal',
  mode: 'callback',
  api: 'video',
  env: ['FAL_BASE_URL', 'FAL_KEY', 'FAL_JWKS_URL'],
  configFromEnv: () => ({
    baseUrl: envStr('FAL_BASE_URL', 'https://queue.fal.run'),
    apiKey: process.env.FAL_KEY || undefined,
    jwksUrl: envStr('FAL_JWKS_URL', 'https://rest.alpha.fal.ai/.well-known/jwks.json'),
  }),
  isConfigured: (c) => !!c.apiKey,
  create: (c, deps) => new FalAdapter(c, deps),
};
