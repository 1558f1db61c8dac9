import { envInt, envStr } from '@pipevideo/platform';
import type { ProviderDefinition } from '../provider-definition';
import { FalAdapter, type FalConfig } from './fal.adapter';

export { FalAdapter, type FalConfig } from './fal.adapter';
export { FAL_PARAMS } from './fal.params';

export const falProvider: ProviderDefinition<FalConfig> = {
  slug: 'fal',
  mode: 'callback',
  api: 'video',
  env: ['FAL_BASE_URL', 'FAL_KEY', 'FAL_JWKS_URL', 'FAL_USER_ID', 'FAL_JWKS_MAX_AGE_MS', 'FAL_API_URL'],
  configFromEnv: () => ({
    baseUrl: envStr('FAL_BASE_URL', 'https://queue.fal.run'),
    apiKey: process.env.FAL_KEY || undefined,
    jwksUrl: envStr('FAL_JWKS_URL', 'https://rest.alpha.fal.ai/.well-known/jwks.json'),
    userId: process.env.FAL_USER_ID || undefined,
    apiUrl: process.env.FAL_API_URL || undefined,
    jwksMaxAgeMs: process.env.FAL_JWKS_MAX_AGE_MS ? envInt('FAL_JWKS_MAX_AGE_MS', 48 * 3600_000) : undefined,
  }),
  isConfigured: (c) => !!c.apiKey,
  create: (c, deps) => new FalAdapter(c, deps),
};
