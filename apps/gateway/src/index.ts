export * from './service';
export * from './config';
export { OrgService } from './orgs/org.service';
export type { ApiKeyKind, ApiKeyStatus, ApiKeyView, IssuedApiKey, Organization } from './orgs/org.service';
export { GatewayRuntime } from './runtime';
