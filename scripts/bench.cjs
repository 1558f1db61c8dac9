#!/usr/bin/env node
// `pnpm bench <name>` runs the `bench` script of @pipevideo/<name> (billing, gateway, webhooks, ...).
const { spawnSync } = require('node:child_process');
const name = process.argv[2];
if (!name) {
  console.error('usage: pnpm bench <billing|gateway|webhooks|scaling>');
  process.exit(2);
}
const E2E_BENCHES = ['gateway', 'scaling'];
const pkg = E2E_BENCHES.includes(name) ? '@pipevideo/e2e' : `@pipevideo/${name}`;
const script = E2E_BENCHES.includes(name) ? `bench:${name}` : 'bench';
// Build what the benchmark runs (turbo caches, so this is quick when nothing changed).
const build = spawnSync('pnpm', ['turbo', 'run', 'build', `--filter=${pkg}...`, '--output-logs=errors-only'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const r = spawnSync('pnpm', ['--filter', pkg, 'run', script, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
