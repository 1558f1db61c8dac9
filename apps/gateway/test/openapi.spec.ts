import SwaggerParser from '@apidevtools/swagger-parser';
import { ADMIN_TOKEN, call, Harness, startHarness } from './helpers';

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
  ['post', '/v1/videos'],
  ['get', '/v1/videos'],
  ['get', '/v1/videos/{id}'],
  ['delete', '/v1/videos/{id}'],
  ['get', '/v1/videos/{id}/content'],
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
  ['get', '/v1/apps/rankings/settings'],
  ['patch', '/v1/apps/rankings/settings'],
  ['get', '/v1/keys'],
  ['post', '/v1/keys'],
  ['post', '/v1/keys/{id}/rotate'],
  ['delete', '/v1/keys/{id}'],
];
/** The operator routes: in their own document, never in the customer's. */
const OPERATOR: Array<[string, string]> = [
  ['post', '/admin/orgs'],
  ['patch', '/admin/orgs/{orgId}'],
  ['post', '/admin/orgs/{orgId}/keys'],
  ['post', '/admin/orgs/{orgId}/credits'],
];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * What the OpenAPI JSON Schema cannot express, checked on top of @apidevtools/swagger-parser's
 * validation: every templated path parameter declared and required, operationIds unique.
 */
function semanticProblems(doc: any): string[] {
  const problems: string[] = [];
  const opIds = new Set<string>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries<any>(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (opIds.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
      else opIds.add(op.operationId);
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      for (const name of templated) {
        const p = params.find((x: any) => x.name === name && x.in === 'path');
        if (!p) problems.push(`${where}: path parameter {${name}} not declared`);
        else if (p.required !== true) problems.push(`${where}: path parameter {${name}} must be required`);
      }
    }
  }
  return problems;
}

/** Validates against the official OpenAPI 3.1 schema and resolves every $ref (on a copy: it dereferences). */
const validate = (doc: unknown) => SwaggerParser.validate(structuredClone(doc) as any);

describe('OpenAPI document', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('is a valid OpenAPI 3.1 document covering every public route', async () => {
    const r = await call(h.url, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    await expect(validate(doc)).resolves.toBeDefined();
    expect(semanticProblems(doc)).toEqual([]);
    for (const [method, path] of EXPECTED) expect({ route: `${method} ${path}`, present: !!doc.paths[path]?.[method] }).toEqual({ route: `${method} ${path}`, present: true });
    // Nothing infrastructural in it.
    expect(Object.keys(doc.paths).filter((p) => /metrics|health|openapi/.test(p))).toEqual([]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Keyed routes declare bearer auth (the dashboard's also the session cookie, as alternatives); public ones do not.
    expect(doc.paths['/v1/video/generations'].post.security).toEqual(expect.arrayContaining([{ apiKey: [] }, { sessionCookie: [] }]));
    expect(doc.paths['/v1/keys'].get.security).toEqual(expect.arrayContaining([{ managementKey: [] }, { sessionCookie: [] }]));
    expect(doc.paths['/v1/responses'].post.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/v1/orgs'].post.security).toEqual([{ sessionCookie: [] }]);
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'pv_session' });
    expect(doc.paths['/v1/models'].get.security ?? []).toEqual([]);
    // The DTOs made it in: field constraints are documented.
    const gen = doc.components.schemas.CreateVideoGenerationDto;
    expect(gen.required).toEqual(['prompt']);
    expect(gen.properties.aspectRatio.pattern).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/"nullable"/);
    expect(doc.components.schemas.VideoGeneration.properties.output_url.type).toEqual(['string', 'null']);
    expect(doc.components.schemas.CreateResponseDto.properties.engine.enum).toEqual(['hyperframes', 'lottie', 'auto']);
    expect(doc.components.schemas.CreateResponseDto.properties.max_output_tokens).toMatchObject({ type: 'integer', minimum: 1, maximum: 64_000 });
    // usage: exact cost_usd apart from the whole cents charged; that object or null.
    expect(doc.components.schemas.ResponseObject.properties.usage).toEqual({ anyOf: [{ $ref: '#/components/schemas/ResponseUsage' }, { type: 'null' }] });
    expect(Object.keys(doc.components.schemas.ResponseUsage.properties)).toEqual(['input_tokens', 'output_tokens', 'total_tokens', 'cost_usd', 'charged_cents', 'estimated']);
    // artifact_url is an object or null, as spec 002 types it: { url, expires_at }.
    expect(doc.components.schemas.ResponseObject.properties.artifact_url.type).toEqual(['object', 'null']);
    expect(Object.keys(doc.components.schemas.ResponseObject.properties.artifact_url.properties)).toEqual(['url', 'expires_at']);
    // The webhooks section (OpenAPI 3.1) lists the events and their statuses, for both APIs.
    expect(Object.keys(doc.webhooks)).toEqual(['video.generation.completed', 'webhook.test']);
    const event = doc.components.schemas.VideoGenerationCompletedEvent;
    expect(event.properties.data.oneOf.map((d: any) => [d.properties.api.const, d.properties.status.enum])).toEqual([['video', ['completed', 'failed']], ['responses', ['completed', 'failed']]]);
    expect(event.properties.data.oneOf[1].properties.response).toEqual({ $ref: '#/components/schemas/ResponseObject' });
  });

  it('keeps the operator API out of the customer document: its own document, behind the operator token', async () => {
    const customer = (await call(h.url, 'GET', '/openapi.json')).body;
    expect(Object.keys(customer.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    expect(customer.components.securitySchemes.operatorToken).toBeUndefined();
    expect(JSON.stringify(customer)).not.toMatch(/CreateOrgDto|CreditsDto|"Operator"/);
    expect((await call(h.url, 'GET', '/admin/openapi.json')).status).toBe(401);
    expect((await call(h.url, 'GET', '/admin/openapi.json', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const r = await call(h.url, 'GET', '/admin/openapi.json', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(r.status).toBe(200);
    await expect(validate(r.body)).resolves.toBeDefined();
    expect(semanticProblems(r.body)).toEqual([]);
    expect(Object.keys(r.body.paths).every((p) => p.startsWith('/admin/'))).toBe(true);
    for (const [method, path] of OPERATOR) expect({ route: `${method} ${path}`, present: !!r.body.paths[path]?.[method] }).toEqual({ route: `${method} ${path}`, present: true });
  });

  it('catches broken documents (the validators work)', async () => {
    const ok = { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/x': { get: { operationId: 'a', responses: { 200: { description: 'ok' } } } } } };
    await expect(validate(ok)).resolves.toBeDefined();
    await expect(validate({ ...ok, info: {} })).rejects.toThrow();
    await expect(validate({ ...ok, paths: { '/x': { get: { operationId: 'a', responses: { 200: { $ref: '#/components/responses/Nope' } } } } } })).rejects.toThrow(/does not exist/);
    expect(semanticProblems({ paths: { '/x/{id}': { get: { responses: {} } }, '/y': { get: { operationId: 'b' }, post: { operationId: 'b' } } } })).toEqual([
      expect.stringMatching(/no operationId/),
      expect.stringMatching(/\{id\} not declared/),
      expect.stringMatching(/duplicate operationId b/),
    ]);
  });

  it('serves interactive docs at /docs', async () => {
    const r = await call(h.url, 'GET', '/docs');
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/swagger/i);
  });
});
