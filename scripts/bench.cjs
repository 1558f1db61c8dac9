#!/usr/bin/env node
// `pnpm bench <name>` runs the `bench` script of @pipevideo/<name> (billing, gateway, webhooks, ...).
const { spawnSync } = require('node:child_process');
const name = process.argv[2];
if (!name) {
  console.error('usage: pnpm bench <billing|gateway|webhooks>');
  process.exit(2);
}
const pkg = name === 'gateway' ? '@pipevideo/e2e' : `@pipevideo/${name}`;
const script = name === 'gateway' ? 'bench:gateway' : 'bench';
const r = spawnSync('pnpm', ['--filter', pkg, 'run', script, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
