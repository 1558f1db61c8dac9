#!/usr/bin/env node
// Part of each service's build: copies src/**/*.sql (the versioned PL/pgSQL that migrations load) next to the
// compiled migrations in dist/, keeping the folder layout. Run from the package folder.
const { cpSync, existsSync, statSync } = require('node:fs');
if (existsSync('src')) {
  cpSync('src', 'dist', { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.sql') });
}
