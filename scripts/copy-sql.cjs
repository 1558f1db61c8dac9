#!/usr/bin/env node
// Part of each service's build: copies src/**/*.sql (the versioned PL/pgSQL that migrations load) next to the
// compiled migrations, keeping the folder layout. Run from the package folder; `copy-sql.cjs <from> <to>`
// (default src dist; the benchmarks' build uses src dist-bench/src).
const { cpSync, existsSync, statSync } = require('node:fs');
const [from = 'src', to = 'dist'] = process.argv.slice(2);
if (existsSync(from)) {
  cpSync(from, to, { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.sql') });
}
