import type { FieldIssue } from '../errors/api-error';

/**
 * Deepest nesting a JSON body may have. No request of the API comes near it (a Responses input is
 * about five levels deep); past it, code that walks a body recursively (validation's messages,
 * JSON.stringify on the way to PostgreSQL) would overflow the stack: a 500 for a client's mistake.
 */
export const MAX_JSON_DEPTH = 64;

/** A `\uD800`–`\uDFFF` escape in the raw text: the only way a lone surrogate gets into a parsed body (invalid UTF-8 bytes decode to U+FFFD). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (code units, no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A `\u0000` escape in the raw text: the only way U+0000 gets into a parsed body (JSON.parse refuses a raw one, a control character). */
const NUL_ESCAPE = /\\u0000/;

/**
 * What `normalizeJsonBody` (validation/validate.ts) has left to do to a body the parser walked, found
 * by that walk: the NUL character it would refuse first, and the null-valued object properties it would
 * delete. Applied when the route asks for the body as an object (`requireJsonObject`), not at parse
 * time: routes read a body's nulls before that (the operator API's "null restores the default", a key's
 * `limit_cents: null`), the Idempotency-Key fingerprint hashes the body as sent, nulls included, and a
 * NUL is refused after the route's guards as before. The body must not be changed in between (nothing
 * does: controllers copy it after `requireJsonObject`).
 */
export interface ParsedBodyFindings {
  /** The 400 for the first NUL character, in the order `normalizeJsonBody`'s own walk meets them. */
  nul?: FieldIssue;
  /** Each null-valued property of an object (array elements are kept): its object and key. */
  nulls: ReadonlyArray<readonly [Record<string, unknown>, string]>;
}

const NOTHING_LEFT: ParsedBodyFindings = Object.freeze({ nulls: Object.freeze([]) as ParsedBodyFindings['nulls'] });
/** Object bodies the parser walked (by identity: `@Body()` is the parser's own object), until `requireJsonObject` takes them. */
const findings = new WeakMap<object, ParsedBodyFindings>();

/** What the parser's walk found for `body`, once (taken: after it is applied the body is normalized); undefined for a body the parser did not walk. */
export function takeParsedBodyFindings(body: object): ParsedBodyFindings | undefined {
  const found = findings.get(body);
  if (found) findings.delete(body);
  return found;
}

/** The 400 issue for a NUL character: in a value at `path`, or in a key of the object at `path` (`normalizeJsonBody`'s wording). */
export function nulIssue(path: string): FieldIssue {
  return { field: path || 'body', message: `${path || 'a field name'} contains a NUL character (\\u0000), which is not allowed` };
}

/**
 * The one walk over a parsed JSON body (the parser's, `http-setup.ts`). Returns what makes it unusable
 * although it parsed, as a sentence for the 400; undefined when nothing does: nesting deeper than
 * MAX_JSON_DEPTH, or a string (value or key) holding a lone UTF-16 surrogate, which PostgreSQL's json
 * types refuse (the generation could not be stored). When the body is an object and usable, the same
 * walk also records what `normalizeJsonBody` has left to do (`ParsedBodyFindings`), so that one does not
 * walk it again. Iterative, so the check itself cannot overflow; strings are looked at only when the raw
 * text has a surrogate or NUL escape.
 *
 * The order is the one each check had when they were two walks, so the same field is named: containers
 * are visited last pushed first; a lone surrogate is found when its string is popped (so the last of an
 * object's values first), a NUL when its container is visited (keys and values in order, as
 * `normalizeJsonBody` does; both walks visit containers in the same order).
 */
export function jsonBodyProblem(value: unknown, raw: string): string | undefined {
  const checkText = SURROGATE_ESCAPE.test(raw);
  // normalizeJsonBody only ever sees an object (requireJsonObject refuses anything else first).
  const record = value !== null && typeof value === 'object' && !Array.isArray(value);
  const checkNul = record && NUL_ESCAPE.test(raw);
  let nul: FieldIssue | undefined;
  let nulls: Array<[Record<string, unknown>, string]> | undefined;
  // Containers, and strings when they are to be checked for surrogates; nothing else has anything to check.
  const stack: Array<[unknown, number, string]> = [[value, 1, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (checkText && LONE_SURROGATE.test(v)) return loneSurrogate(path);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep (at ${path}). Send a flatter body.`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (typeof e === 'string') {
          if (checkNul && !nul && e.includes('\u0000')) nul = nulIssue(`${path}[${i}]`);
          if (checkText) stack.push([e, depth + 1, `${path}[${i}]`]);
        } else if (e !== null && typeof e === 'object') stack.push([e, depth + 1, `${path}[${i}]`]);
      }
      continue;
    }
    const obj = v as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (checkText && LONE_SURROGATE.test(key)) return loneSurrogate(path ? `${path}.${key}` : key);
      if (checkNul && !nul && key.includes('\u0000')) nul = nulIssue(path);
      const e = obj[key];
      if (e === null) {
        if (record) (nulls ??= []).push([obj, key]);
      } else if (typeof e === 'string') {
        if (checkNul && !nul && e.includes('\u0000')) nul = nulIssue(path ? `${path}.${key}` : key);
        if (checkText) stack.push([e, depth + 1, path ? `${path}.${key}` : key]);
      } else if (typeof e === 'object') stack.push([e, depth + 1, path ? `${path}.${key}` : key]);
    }
  }
  if (record) findings.set(value as object, nul || nulls ? { ...(nul ? { nul } : {}), nulls: nulls ?? [] } : NOTHING_LEFT);
  return undefined;
}

function loneSurrogate(path: string): string {
  return `${path || 'The body'} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which is not valid Unicode text. Send valid UTF-8 or escape the whole pair.`;
}
