// The SPA's build: Preact through Vite's own JSX transform (no Babel), into dist/public, plus
// dist/public/routes.json — the page paths a server answers with index.html (SPA fallback without a catch-all).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { PAGE_PATHS } from './src/routes.paths.mjs';

export default defineConfig({
  root: 'src',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(import.meta.dirname, 'dist/public'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  plugins: [
    {
      name: 'pipevideo-routes-json',
      writeBundle() {
        writeFileSync(resolve(import.meta.dirname, 'dist/public/routes.json'), JSON.stringify({ pages: PAGE_PATHS, assets: '/assets/' }, null, 2));
      },
    },
  ],
});
