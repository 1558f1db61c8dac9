const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Path parameters that hold a slash: a model slug (`/v1/models/{slug}` is the wildcard route `models/*`). */
const SPANS_SLASHES = new Set(['slug']);
/** The order `Allow` lists them in. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Which methods the API has for a concrete path, read from the OpenAPI documents the gateway serves
 * (the customer's and the operator's), so a request with the wrong method on a real path is a 405 with
 * `Allow` instead of a 404 that says the path does not exist. The documents are filled once the app
 * has started; the path table is built on first use after that.
 */
export class AllowedMethods {
  private table?: Array<{ pattern: RegExp; methods: string[] }>;

  constructor(private readonly documents: () => Array<{ paths?: Record<string, Record<string, unknown>> }>) {}

  /** Upper-case methods for `path` (no query string), HEAD with GET; empty when no documented path matches. */
  for(path: string): string[] {
    const table = this.build();
    const found = new Set<string>();
    for (const route of table) if (route.pattern.test(path)) for (const m of route.methods) found.add(m);
    if (found.has('GET')) found.add('HEAD');
    return ORDER.filter((m) => found.has(m));
  }

  private build(): Array<{ pattern: RegExp; methods: string[] }> {
    if (this.table) return this.table;
    const rows: Array<{ pattern: RegExp; methods: string[] }> = [];
    for (const doc of this.documents()) {
      for (const [template, ops] of Object.entries(doc.paths ?? {})) {
        const methods = Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => m.toUpperCase());
        const source = template.replace(/\{([^}]+)\}|[.*+?^$()|[\]\\]/g, (m, name?: string) => (name ? (SPANS_SLASHES.has(name) ? '.+' : '[^/]+') : `\\${m}`));
        rows.push({ pattern: new RegExp(`^${source}$`), methods });
      }
    }
    // Not kept while the documents are still empty (a request before the start finished).
    if (rows.length) this.table = rows;
    return rows;
  }
}
