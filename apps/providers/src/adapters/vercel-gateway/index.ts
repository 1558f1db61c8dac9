import { envStr } from '@pipevideo/platform';
import type { ProviderDefinition } from '../provider-definition';
import { VercelGatewayAdapter, type VercelGatewayConfig } from './vercel-gateway.adapter';

export { VercelGatewayAdapter, type VercelGatewayConfig } from './vercel-gateway.adapter';
export { VERCEL_GATEWAY_PARAMS, resolutionToSize } from './vercel-gateway.params';

export const vercelGatewayProvider: ProviderDefinition<VercelGatewayConfig> = {
  slug: 'vercel-gateway',
  mode: 'poll',
  api: 'video',
  env: ['AI_GATEWAY_BASE_URL', 'AI_GATEWAY_API_KEY'],
  configFromEnv: () => ({
    baseUrl: envStr('AI_GATEWAY_BASE_URL', 'https://ai-gateway.vercel.sh/v3/ai'),
    apiKey: process.env.AI_GATEWAY_API_KEY || undefined,
  }),
  isConfigured: (c) => !!c.apiKey,
  create: (c, deps) => new VercelGatewayAdapter(c, deps),
};
