export * from './breaker-registry';
export * from './metrics';
