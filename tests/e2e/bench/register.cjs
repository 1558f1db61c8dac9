// Runs the TypeScript benchmarks directly, resolving workspace packages to their built dist.
require('@swc-node/register');
