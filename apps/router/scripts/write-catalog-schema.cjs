#!/usr/bin/env node
// Rewrites the published JSON Schemas of the catalog files (src/catalog/*.schema.json) from the zod
// schemas in src/catalog/catalog-schema.ts (compiled to dist first by the package script `catalog:schema`).
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { catalogJsonSchemas } = require('../dist/catalog/catalog-schema');
for (const [file, content] of Object.entries(catalogJsonSchemas())) {
  writeFileSync(join(__dirname, '..', 'src', 'catalog', file), content);
  console.log(`wrote src/catalog/${file}`);
}
