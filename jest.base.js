// Shared jest settings: swc for speed (with decorator metadata for Nest/class-validator),
// and workspace packages resolved to their TypeScript sources so tests never need a prior build.
const path = require('path');
module.exports = (dir) => ({
  rootDir: dir,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
      module: { type: 'commonjs' },
    }],
  },
  moduleNameMapper: {
    '^@pipevideo/(contracts|platform|sandboxes)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  maxWorkers: 1,
  forceExit: true,
});
