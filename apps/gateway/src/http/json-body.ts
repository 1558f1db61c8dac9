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

/**
 * What makes a parsed JSON body unusable although it parsed, as a sentence for the 400; undefined when
 * nothing does: nesting deeper than MAX_JSON_DEPTH, or a string (value or key) holding a lone UTF-16
 * surrogate, which PostgreSQL's json types refuse (the generation could not be stored). Iterative, so
 * the check itself cannot overflow; strings are looked at only when the raw text has a surrogate escape.
 */
export function jsonBodyProblem(value: unknown, raw: string): string | undefined {
  const checkText = SURROGATE_ESCAPE.test(raw);
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
      for (let i = 0; i < v.length; i++) stack.push([v[i], depth + 1, `${path}[${i}]`]);
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = path ? `${path}.${key}` : key;
      if (checkText && LONE_SURROGATE.test(key)) return loneSurrogate(at);
      stack.push([(v as Record<string, unknown>)[key], depth + 1, at]);
    }
  }
  return undefined;
}

function loneSurrogate(path: string): string {
  return `${path || 'The body'} holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its pair), which is not valid Unicode text. Send valid UTF-8 or escape the whole pair.`;
}
