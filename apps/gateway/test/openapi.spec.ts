import { call, Harness, startHarness } from './helpers';

/** The public routes the document must describe (method + OpenAPI path). */
const EXPECTED: Array<[string, string]> = [
  ['post', '/v1/video/generations'],
  ['get', '/v1/video/generations'],
  ['get', '/v1/video/generations/{id}'],
  ['get', '/v1/models'],
  ['get', '/v1/models/{slug}'],
  ['post', '/v1/responses'],
  ['get', '/v1/responses/{id}'],
  ['delete', '/v1/responses/{id}'],
  ['post', '/v1/responses/{id}/cancel'],
  ['get', '/v1/engines'],
  ['get', '/v1/usage'],
  ['get', '/v1/billing/balance'],
  ['post', '/v1/billing/checkout'],
  ['post', '/v1/billing/stripe/webhook'],
  ['post', '/v1/webhooks'],
  ['get', '/v1/webhooks'],
  ['get', '/v1/webhooks/{id}'],
  ['patch', '/v1/webhooks/{id}'],
  ['delete', '/v1/webhooks/{id}'],
  ['post', '/v1/webhooks/{id}/rotate-secret'],
  ['post', '/v1/webhooks/{id}/test'],
  ['get', '/v1/webhooks/{id}/deliveries'],
  ['post', '/v1/webhooks/{id}/deliveries/{deliveryId}/retry'],
  ['get', '/v1/apps/rankings'],
  ['get', '/v1/keys'],
  ['post', '/v1/keys'],
  ['post', '/v1/keys/{id}/rotate'],
  ['delete', '/v1/keys/{id}'],
  ['post', '/admin/orgs'],
  ['patch', '/admin/orgs/{orgId}'],
  ['post', '/admin/orgs/{orgId}/keys'],
  ['post', '/admin/orgs/{orgId}/credits'],
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Structural validation of an OpenAPI 3.1 document (no validator package such as
 * @apidevtools/swagger-parser is installed): version, info, paths, path parameters, unique
 * operationIds, responses everywhere, every $ref resolvable, security schemes declared.
 */
export function openApiProblems(doc: any): string[] {
  const problems: string[] = [];
  if (typeof doc?.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi must be 3.1.x, got ${doc?.openapi}`);
  if (!doc?.info?.title || !doc?.info?.version) problems.push('info.title and info.version are required');
  if (!doc?.paths || typeof doc.paths !== 'object') return [...problems, 'paths missing'];
  const resolve = (ref: string) => ref.replace(/^#\//, '').split('/').reduce((o: any, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') {
        if (typeof v !== 'string' || !v.startsWith('#/') || resolve(v) === undefined) problems.push(`${at}: unresolvable $ref ${String(v)}`);
      } else walk(v, `${at}.${k}`);
    }
  };
  walk(doc, '#');
  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  const opIds = new Set<string>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} must start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries<any>(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.responses || !Object.keys(op.responses).length) problems.push(`${where}: no responses`);
      for (const [code, r] of Object.entries<any>(op.responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: bad response code ${code}`);
        if (!r.description && !r.$ref) problems.push(`${where} ${code}: response needs a description`);
      }
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (opIds.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
      else opIds.add(op.operationId);
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      for (const name of templated) {
        const p = params.find((x: any) => x.name === name && x.in === 'path');
        if (!p) problems.push(`${where}: path parameter {${name}} not declared`);
        else if (p.required !== true) problems.push(`${where}: path parameter {${name}} must be required`);
      }
      for (const p of params) if (p.in === 'path' && !templated.includes(p.name)) problems.push(`${where}: parameter ${p.name} is not in the path`);
      for (const s of op.security ?? []) for (const name of Object.keys(s)) if (!schemes.includes(name)) problems.push(`${where}: unknown security scheme ${name}`);
    }
  }
  return problems;
}

describe('OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('is a structurally valid OpenAPI 3.1 document covering every public route', async () => {
    const r = await call(h.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(openApiProblems(doc)).toEqual([]);
    for (const [method, path] of EXPECTED) expect({ route: `${method} ${path}`, present: !!doc.paths[path]?.[method] }).toEqual({ route: `${method} ${path}`, present: true });
    // Nothing infrastructural in it.
    expect(Object.keys(doc.paths).filter((p) => /metrics|health|openapi/.test(p))).toEqual([]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Keyed routes declare bearer auth; public ones do not.
    expect(doc.paths['/v1/video/generations'].post.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/v1/keys'].get.security).toEqual([{ managementKey: [] }]);
    expect(doc.paths['/v1/models'].get.security ?? []).toEqual([]);
    // The DTOs made it in: field constraints are documented.
    const gen = doc.components.schemas.CreateVideoGenerationDto;
    expect(gen.required).toEqual(['prompt']);
    expect(gen.properties.aspectRatio.pattern).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/"nullable"/);
    expect(doc.components.schemas.VideoGenerationSchema.properties.output_url.type).toEqual(['string', 'null']);
    expect(doc.components.schemas.CreateResponseDto.properties.engine.enum).toEqual(['hyperframes', 'lottie', 'auto']);
  });

  it('catches broken documents (the validator itself works)', () => {
    expect(openApiProblems({ openapi: '3.0.0', info: {}, paths: { '/x/{id}': { get: { responses: {} } } } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/3\.1/), expect.stringMatching(/no responses/), expect.stringMatching(/\{id\} not declared/), expect.stringMatching(/operationId/)]),
    );
    expect(openApiProblems({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/x': { get: { operationId: 'a', responses: { 200: { $ref: '#/components/responses/Nope' } } } } } })).toEqual([
      expect.stringMatching(/unresolvable \$ref/),
    ]);
  });

  it('serves interactive docs at /docs', async () => {
    const r = await call(h.url, 'GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/swagger/i);
  });
});
