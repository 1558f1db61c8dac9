// The dashboard's page paths, shared by the SPA's router and the build's routes.json (which the gateway and
// the dashboard's own server read to answer these paths with index.html). `*` ends a prefix.
export const PAGE_PATHS = ['/', '/signin', '/keys', '/billing', '/usage', '/webhooks', '/playground', '/orgs', '/invites/*'];
