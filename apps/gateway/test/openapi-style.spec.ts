/**
 * docs/api-style.md, enforced on the OpenAPI documents the gateway serves: every schema of every answer
 * (and of every webhook it sends) is walked; a camelCase key, an object open to undocumented fields, a
 * free-form object, an array without items or a `*_at` timestamp that is not an integer fails the test.
 * The end-to-end contract suite then validates real answers against these closed schemas, so a field a
 * service sends without documenting it fails there.
 */
import { call, ADMIN_TOKEN, Harness, startHarness } from './helpers';

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/** spec 004's webhook payload fields keep the spec's own names (the one documented exception). */
const SPEC_WEBHOOK_FIELDS = new Set(['generationId', 'outputUrl', 'errorMessage']);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Problem {
  where: string;
  problem: string;
}

/** Walks every schema reachable from the answers (and webhook bodies) of `doc`; returns what breaks the style. */
export function styleProblems(doc: any): Problem[] {
  const problems: Problem[] = [];
  const schemas = doc.components?.schemas ?? {};
  const seen = new Set<string>();
  const walk = (node: any, where: string, inWebhook: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (node.$ref) {
      const name = String(node.$ref).replace('#/components/schemas/', '');
      const key = `${name}|${inWebhook}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (!schemas[name]) return void problems.push({ where, problem: `$ref to missing schema ${name}` });
      return walk(schemas[name], `${name}`, inWebhook);
    }
    for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(node[k])) node[k].forEach((s: any, i: number) => walk(s, `${where}.${k}[${i}]`, inWebhook));
    const types: string[] = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
    if (types.includes('array')) {
      if (!node.items) problems.push({ where, problem: 'array without items (undocumented elements)' });
      else walk(node.items, `${where}[]`, inWebhook);
    }
    const isObject = types.includes('object') || node.properties;
    if (!isObject) return;
    const typedMap = node.additionalProperties && typeof node.additionalProperties === 'object';
    if (node.properties) {
      if (node.additionalProperties !== false) problems.push({ where, problem: 'object open to undocumented fields (additionalProperties is not false)' });
      for (const [key, prop] of Object.entries<any>(node.properties)) {
        if (!SNAKE.test(key) && !(inWebhook && SPEC_WEBHOOK_FIELDS.has(key))) problems.push({ where: `${where}.${key}`, problem: 'key is not snake_case' });
        if (/_at$/.test(key)) {
          const t = Array.isArray(prop.type) ? prop.type : [prop.type];
          if (!t.includes('integer')) problems.push({ where: `${where}.${key}`, problem: 'timestamp is not an integer (unix seconds; ms only where spec 002 says so)' });
        }
        walk(prop, `${where}.${key}`, inWebhook);
      }
    } else if (typedMap) {
      walk(node.additionalProperties, `${where}{}`, inWebhook);
    } else problems.push({ where, problem: 'free-form object (no documented properties)' });
  };
  for (const [path, item] of Object.entries<any>(doc.paths ?? {}))
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        const schema = r.content?.['application/json']?.schema;
        // A file download (e.g. GET /v1/videos/{id}/content) answers bytes, documented as a binary media type.
        const file = Object.entries<any>(r.content ?? {}).some(([type, c]) => !type.includes('json') && c?.schema?.format === 'binary');
        // An event stream (GET /v1/video/generations/{id}/events) answers text/event-stream; its events' data is a documented object.
        const stream = typeof r.content?.['text/event-stream']?.schema?.description === 'string';
        if (!schema && status !== '204' && !file && !stream) problems.push({ where: `${method.toUpperCase()} ${path} ${status}`, problem: 'answer without a JSON schema' });
        else if (schema) walk(schema, `${method.toUpperCase()} ${path} ${status}`, false);
      }
    }
  for (const [name, item] of Object.entries<any>(doc.webhooks ?? {})) walk(item.post?.requestBody?.content?.['application/json']?.schema, `webhook ${name}`, true);
  return problems;
}

describe('API style of the OpenAPI documents', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('every answer and webhook schema is snake_case, closed, documented, with unix-seconds timestamps', async () => {
    const customer = (await call(h.url, 'GET', '/openapi.json')).body;
    const operator = (await call(h.url, 'GET', '/admin/openapi.json', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body;
    expect(styleProblems(customer)).toEqual([]);
    expect(styleProblems(operator)).toEqual([]);
    // The walk reached the objects it is meant to guard (not vacuously true).
    expect(Object.keys(customer.components.schemas)).toEqual(expect.arrayContaining(['VideoGeneration', 'ResponseObject', 'UsageList', 'Model', 'AppRankings', 'VideoGenerationCompletedEvent']));
  });

  it('catches what it is meant to catch', () => {
    const doc = (schema: any) => ({ paths: { '/x': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } } } }, components: { schemas: {} } });
    const closed = (properties: any) => ({ type: 'object', properties, additionalProperties: false });
    expect(styleProblems(doc(closed({ ok_field: { type: 'string' } })))).toEqual([]);
    expect(styleProblems(doc(closed({ orgId: { type: 'string' } })))[0]).toMatchObject({ problem: 'key is not snake_case' });
    expect(styleProblems(doc({ type: 'object', properties: { a: { type: 'string' } } }))[0].problem).toMatch(/undocumented fields/);
    expect(styleProblems(doc({ type: 'object', additionalProperties: true }))[0].problem).toMatch(/free-form/);
    expect(styleProblems(doc({ type: 'array' }))[0].problem).toMatch(/without items/);
    expect(styleProblems(doc(closed({ created_at: { type: 'string', format: 'date-time' } })))[0].problem).toMatch(/timestamp/);
    expect(styleProblems(doc(closed({ nested: { type: 'array', items: closed({ outputUrl: { type: 'string' } }) } })))[0].where).toBe('GET /x 200.nested[].outputUrl');
    expect(styleProblems({ paths: { '/y': { get: { responses: { 200: { description: 'ok' } } } } } })[0].problem).toMatch(/without a JSON schema/);
  });
});
