import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';

/**
 * PL/pgSQL functions live in versioned files, `<dir>/<function>.v<N>.sql`, one `CREATE FUNCTION` each,
 * loaded by the migrations (`sqlFunction`). A shipped version is frozen (old migrations, and their
 * `down`, load it on fresh databases); a change is a new file `v<N+1>` plus the migration that loads it.
 * So the current body of a function is its highest-numbered file, and `checkSqlFunctions` (run by each
 * service's tests) proves the migrated database holds exactly that body. A function taken out of use
 * gets a last version whose text is its `DROP FUNCTION` (so its file says where it went).
 */
const FILE = /^([a-z0-9_]+)\.v(\d+)\.sql$/;

/** The text of `<dir>/<name>.v<version>.sql` (the build copies `.sql` files next to the compiled migrations). */
export function sqlFunction(dir: string, name: string, version: number): string {
  return readFileSync(join(dir, `${name}.v${version}.sql`), 'utf8');
}

/** Each function of `dir` with its highest version: `{ name: { version, text } }`. */
export function currentSqlFunctions(dir: string): Map<string, { version: number; text: string }> {
  const current = new Map<string, { version: number; text: string }>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new Error(`${join(dir, file)}: SQL function files are named <function>.v<N>.sql`);
    const version = Number(m[2]);
    if ((current.get(m[1])?.version ?? 0) < version) current.set(m[1], { version, text: sqlFunction(dir, m[1], version) });
  }
  return current;
}

/** Whether a version's text (after its comment lines) is a `DROP FUNCTION`: the function was retired. */
function isDrop(text: string): boolean {
  return /^DROP\s+FUNCTION\b/i.test(text.replace(/^\s*--.*$/gm, '').trim());
}

/** The body between the dollar quotes of a `CREATE FUNCTION` text (what PostgreSQL keeps as `prosrc`). */
export function functionBody(createText: string): string {
  const m = /\bAS\s+(\$[a-z_]*\$)([\s\S]*)\1/i.exec(createText);
  if (!m) throw new Error(`no dollar-quoted body in: ${createText.slice(0, 80)}…`);
  return m[2];
}

/**
 * Compares the functions of `schema` in a migrated database with the current files of `dir`: every
 * function has a file, and its body is the highest version's. Returns the differences (empty = in step).
 */
export async function checkSqlFunctions(ds: DataSource, schema: string, dir: string): Promise<string[]> {
  const files = currentSqlFunctions(dir);
  const rows: { name: string; src: string }[] = await ds.query(
    `SELECT p.proname AS name, p.prosrc AS src FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1`,
    [schema],
  );
  const problems: string[] = [];
  for (const r of rows) {
    const f = files.get(r.name);
    if (f && isDrop(f.text)) problems.push(`function ${schema}.${r.name} exists, but its current file ${r.name}.v${f.version}.sql drops it`);
    else if (!f) problems.push(`function ${schema}.${r.name} has no file ${r.name}.v<N>.sql in ${dir}`);
    else if (functionBody(f.text) !== r.src) problems.push(`function ${schema}.${r.name} differs from ${r.name}.v${f.version}.sql (its current version)`);
  }
  for (const [name, f] of files) {
    if (isDrop(f.text)) continue;
    if (!rows.some((r) => r.name === name)) problems.push(`${name}.v${files.get(name)!.version}.sql: no such function in schema ${schema} after the migrations`);
  }
  return problems;
}
