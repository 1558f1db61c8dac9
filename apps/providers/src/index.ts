export { startProvidersService, PROVIDERS_MIGRATIONS, PROVIDERS_SERVICE_NAME } from './service';
export type { ProvidersServiceOptions, RunningProvidersService } from './service';
export { configuredProviders, loadProvidersConfig } from './providers.config';
export type { ProvidersConfig, ProvidersConfigInput, ProviderSettings } from './providers.config';
export type {
  CallbackRefusal, CallbackRequest, CallbackVerdict, CancelAnswer, JobHandle, JobMode, JobOutcome, JobStatus, NormaliseContext, ParsedCallback,
  ProviderAdapter, ProviderInput, SubmitAccepted, SubmitRequest, TokenUsage,
} from './adapters/provider-adapter';
export type { AdapterDeps, BaseProviderConfig, ProviderDefinition } from './adapters/provider-definition';
export { ProviderError } from './adapters/provider-error';
export { PROVIDER_DEFINITIONS } from './adapters/registry';
