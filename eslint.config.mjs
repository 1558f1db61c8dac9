// One flat config for the whole monorepo: recommended rules plus type-aware checks kept light, and the
// guard rails that keep the architecture as docs/architecture.md describes it ("Guard rails and where
// rules live"): import direction, no import circles, one test-file naming convention, and the
// generation store as the only writer of its tables. `pnpm lint` runs it per package (turbo).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));

const APPS = ['gateway', 'billing', 'router', 'providers', 'webhooks', 'embedded'];

/** Imports of another app, by package name or by a path into its folder. */
const otherApps = (self) =>
  APPS.filter((a) => a !== self).flatMap((a) => [
    { group: [`@pipevideo/${a}`, `@pipevideo/${a}/*`], message: `apps never import other apps (only apps/embedded, the composition root, does): move what ${self} needs from ${a} to packages/.` },
    { group: [`**/${a}/src/**`, `**/${a}/dist/**`], message: `apps never import other apps (only apps/embedded, the composition root, does).` },
  ]);

/**
 * The shell of every service: entry and composition files, Nest modules and controllers, the HTTP,
 * RPC and Nest adapters, migrations. Everything else under apps/<service>/src is domain code: plain
 * classes and functions that never import Nest or `http/` (and TypeORM for its types only: a store
 * holds a DataSource to run SQL, never entities or decorators).
 */
const SHELL = [
  'apps/*/src/main.ts',
  'apps/*/src/index.ts',
  'apps/*/src/service.ts',
  'apps/*/src/*.module.ts',
  'apps/*/src/**/*.controller.ts',
  'apps/*/src/**/*.interceptor.ts',
  'apps/*/src/**/http/**',
  'apps/*/src/**/rpc/**',
  'apps/*/src/**/nest/**',
  'apps/*/src/**/migrations/**',
  // the gateway is the public door: its controllers, OpenAPI document and request DTOs are HTTP
  'apps/gateway/src/controllers/**',
  'apps/gateway/src/openapi/**',
  'apps/gateway/src/validation/**',
  // apps/embedded is the composition root of embedded mode: wiring only
  'apps/embedded/**',
];
const TESTS = ['**/*.spec.ts', '**/test/**', '**/bench/**'];

/** Test files: `<name>.spec.ts` (unit and integration, next to the code or in test/), `<name>.e2e.spec.ts` (black box over HTTP). */
const TEST_FILE = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.spec\.ts$/;
const TEST_LIKE = /\.(spec|test)\.[cm]?[jt]sx?$|\.(integration|unit|int|e2e)\.[cm]?[jt]s$/;
const testFileNaming = {
  meta: { type: 'suggestion', schema: [], messages: { name: '{{name}}: test files are named <name>.spec.ts (unit, integration) or <name>.e2e.spec.ts (end to end); not {{bad}}' } },
  create(context) {
    const name = context.filename.split(/[\\/]/).pop();
    const bad = /\.(test|integration|unit|int)\./.exec(name)?.[0];
    if (TEST_LIKE.test(name) && (!TEST_FILE.test(name) || bad)) {
      return { Program: (node) => context.report({ node, messageId: 'name', data: { name, bad: bad ?? 'this name' } }) };
    }
    return {};
  },
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },

  // ---- No import circles (a cycle makes "go to definition" loop and module init order fragile).
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX, pipevideo: { rules: { 'test-file-naming': testFileNaming } } },
    settings: {
      // dependencies are parsed as TypeScript too, so a circle through any .ts file is seen
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js', '.json'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['apps/*/tsconfig.json', 'packages/*/tsconfig.json', 'tests/*/tsconfig.json'].map((p) => join(ROOT, p)), noWarnOnMultipleProjects: true })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'pipevideo/test-file-naming': 'error',
    },
  },

  // ---- Import direction: packages never import apps; apps never import other apps (embedded apart).
  {
    files: ['packages/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: APPS.map((a) => ({ group: [`@pipevideo/${a}`, `@pipevideo/${a}/*`, `**/apps/${a}/**`], message: 'packages never import apps.' })) }] },
  },
  ...APPS.filter((a) => a !== 'embedded').map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: otherApps(app) }] },
  })),
  // ---- Domain code never imports Nest, TypeORM (types apart) or the HTTP adapters.
  ...APPS.filter((a) => a !== 'embedded').map((app) => ({
    files: [`apps/${app}/src/**/*.ts`],
    ignores: [...SHELL, ...TESTS],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'typeorm', allowTypeImports: true, message: 'domain code uses TypeORM for its types only (a DataSource to run SQL on); entities, decorators and repositories stay out.' }],
          patterns: [
            ...otherApps(app),
            { group: ['@nestjs/*'], message: 'domain code is framework-free: Nest stays in the shell (main/service/module/controller files, http/, rpc/, nest/).' },
            { group: ['**/http', '**/http/*', './http/*', '../http/*'], message: 'domain code never imports the HTTP adapters (http/): they call the domain, not the other way round.' },
          ],
        },
      ],
    },
  })),
  // ---- The generation store is the only writer of the generations tables.
  {
    files: ['apps/router/src/**/*.ts'],
    ignores: ['apps/router/src/generations/generation.store.ts', 'apps/router/src/migrations/**', ...TESTS],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TemplateElement[value.raw=/(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+generation/i]',
          message: 'only GenerationStore (generations/generation.store.ts) writes the generations and generation_attempts tables: add a method there.',
        },
        {
          selector: 'Literal[value=/(INSERT\\s+INTO|UPDATE|DELETE\\s+FROM)\\s+generation/i]',
          message: 'only GenerationStore (generations/generation.store.ts) writes the generations and generation_attempts tables: add a method there.',
        },
      ],
    },
  },
);
