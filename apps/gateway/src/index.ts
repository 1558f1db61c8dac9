export * from './service';
export * from './gateway.config';
export { OrgService } from './orgs/org.service';
export type { ApiKeyKind, ApiKeyStatus, ApiKeyView, IssuedApiKey, Organization } from './orgs/org.service';
export { GatewayComposition } from './gateway.composition';
