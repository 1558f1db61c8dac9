import { envStr } from '@pipevideo/platform';
import type { ProviderDefinition } from '../provider-definition';
import { ReplicateAdapter, type ReplicateConfig } from './replicate.adapter';

export { ReplicateAdapter, type ReplicateConfig, predictionStatus } from './replicate.adapter';
export { REPLICATE_PARAMS } from './replicate.params';

export const replicateProvider: ProviderDefinition<ReplicateConfig> = {
  slug: 'replicate',
  mode: 'callback',
  api: 'video',
  env: ['REPLICATE_BASE_URL', 'REPLICATE_API_TOKEN', 'REPLICATE_WEBHOOK_SECRET'],
  configFromEnv: () => ({
    baseUrl: envStr('REPLICATE_BASE_URL', 'https://api.replicate.com/v1'),
    apiKey: process.env.REPLICATE_API_TOKEN || undefined,
    webhookSecret: process.env.REPLICATE_WEBHOOK_SECRET || undefined,
  }),
  isConfigured: (c) => !!c.apiKey,
  create: (c, deps) => new ReplicateAdapter(c, deps),
};
