/**
 * The providers this service knows: one line per provider folder. Adding a provider = its folder,
 * one line here, and its routes in the router's catalog.
 */
import type { ProviderSlug } from '@pipevideo/contracts';
import { falProvider } from './fal';
import { framerateProvider } from './framerate';
import type { ProviderDefinition } from './provider-definition';
import { replicateProvider } from './replicate';
import { vercelGatewayProvider } from './vercel-gateway';

export const PROVIDER_DEFINITIONS: ReadonlyArray<ProviderDefinition<any>> = [
  falProvider,
  replicateProvider,
  vercelGatewayProvider,
  framerateProvider,
];

export function providerDefinition(slug: string): ProviderDefinition<any> | undefined {
  return PROVIDER_DEFINITIONS.find((d) => d.slug === (slug as ProviderSlug));
}
