export * from './breaker-registry';
export * from './metrics';
export * from './shared-breakers';
