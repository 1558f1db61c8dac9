import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder } from '@nestjs/swagger';
import type { SwaggerModule as SwaggerModuleType } from '@nestjs/swagger';
import { RESPONSE_SCHEMAS } from './response-schemas';
import { WEBHOOK_SCHEMAS, WEBHOOKS } from './webhooks';

/** Paths that are infrastructure, not API: left out of the public document. */
const HIDDEN = [/^\/metrics$/, /^\/health/, /^\/openapi\.json$/];

/** OpenAPI 3.1 document generated from the controllers' decorators and the DTOs. */
export function buildOpenApiDocument(app: INestApplication, swagger: typeof SwaggerModuleType): Record<string, any> {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Pipevideo API')
    .setDescription(
      'One API for video generation across providers. Authenticate with `Authorization: Bearer pv_…` (a standard key; key management needs a management key). ' +
        'Style (docs/api-style.md): snake_case fields, unix-seconds timestamps (the Responses API keeps spec 002\'s completed_at in ms), one list envelope `{ object: "list", data, has_more, next_cursor }`. ' +
        'Errors: `{ "error": { "code", "message", "details"?, "retry_after"? } }`, except under /v1/responses where they follow OpenAI: `{ "error": { "message", "type", "param", "code" } }`. ' +
        'Provider names are public slugs (`pipevideo` for routes Pipevideo runs itself). The webhooks Pipevideo sends are in the `webhooks` section. The operator API has its own document (GET /admin/openapi.json, operator token).',
    )
    .setVersion('1.0.0')
    .addServer('http://localhost:3001', 'Local development')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'pv_…', description: 'Standard API key' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'pv_…', description: 'Management API key (key management only)' }, 'managementKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Operator token (PIPEVIDEO_ADMIN_TOKEN)' }, 'operatorToken')
    .addSecurity('sessionCookie', {
      type: 'apiKey',
      in: 'cookie',
      name: 'pv_session',
      description: 'The dashboard: session cookie (`__Host-pv_session` over https) + `X-Pipevideo-Org: <org id>`; state-changing calls also need `X-CSRF-Token` (docs/dashboard-api.md).',
    })
    .build();
  const doc = swagger.createDocument(app, config, { operationIdFactory: (controllerKey: string, methodKey: string) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}` }) as Record<string, any>;
  doc.openapi = '3.1.0';
  for (const p of Object.keys(doc.paths)) if (HIDDEN.some((h) => h.test(p))) delete doc.paths[p];
  // Nest publishes the wildcard route (`models/*`) as `{path}`; document it as the `{slug}` parameter.
  for (const p of Object.keys(doc.paths)) {
    if (p.startsWith('/v1/models/')) {
      const fixed = '/v1/models/{slug}';
      doc.paths[fixed] = doc.paths[p];
      delete doc.paths[p];
      for (const op of Object.values<any>(doc.paths[fixed])) {
        op.parameters = (op.parameters ?? []).filter((x: any) => x.name !== '*' && x.name !== 'path');
        if (!op.parameters.some((x: any) => x.name === 'slug')) op.parameters.push({ name: 'slug', in: 'path', required: true, schema: { type: 'string' } });
        for (const x of op.parameters) if (x.name === 'slug') x.in = 'path';
      }
    }
  }
  toJsonSchema2020(doc);
  doc.components.schemas = { ...doc.components.schemas, ...structuredClone(RESPONSE_SCHEMAS), ...structuredClone(WEBHOOK_SCHEMAS) };
  // The error envelopes are answers too: closed like every response schema (docs/api-style.md).
  for (const [name, schema] of Object.entries<any>(doc.components.schemas))
    if (/Schema$/.test(name) && schema.properties && schema.additionalProperties === undefined) schema.additionalProperties = false;
  const duration = doc.components?.schemas?.CreateVideoGenerationDto?.properties?.duration;
  if (duration) {
    delete duration.minimum;
    duration.exclusiveMinimum = 0; // 3.1 / JSON Schema 2020-12: a number ("positive")
  }
  // OpenAPI requires a description on every response; Nest leaves success ones empty.
  const REASON: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No Content' };
  for (const item of Object.values<any>(doc.paths))
    for (const op of Object.values<any>(item)) for (const [code, r] of Object.entries<any>(op?.responses ?? {})) if (!r.description && !r.$ref) r.description = REASON[code] ?? 'Response';
  return doc;
}

/** The customer document (`GET /openapi.json`): everything but the operator API, with the webhooks it sends. */
export function customerDocument(full: Record<string, any>): Record<string, any> {
  const doc = pick(full, (path) => !isOperatorPath(path));
  doc.webhooks = structuredClone(WEBHOOKS);
  delete doc.components.securitySchemes.operatorToken;
  return prune(doc);
}

/** The operator document (`GET /admin/openapi.json`, operator token): the `/admin/*` routes only. */
export function operatorDocument(full: Record<string, any>): Record<string, any> {
  const doc = pick(full, isOperatorPath);
  doc.info = { ...doc.info, title: 'Pipevideo operator API', description: 'Operator routes (Authorization: Bearer $PIPEVIDEO_ADMIN_TOKEN). Not part of the customer API.' };
  doc.components.securitySchemes = { operatorToken: doc.components.securitySchemes.operatorToken };
  return prune(doc);
}

const isOperatorPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

function pick(full: Record<string, any>, keep: (path: string) => boolean): Record<string, any> {
  const doc = structuredClone(full);
  for (const p of Object.keys(doc.paths)) if (!keep(p)) delete doc.paths[p];
  return doc;
}

/** Drops component schemas nothing in the document refers to (transitively), and tags no operation uses. */
function prune(doc: Record<string, any>): Record<string, any> {
  const schemas: Record<string, unknown> = doc.components.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        const name = v.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(v);
    }
  };
  visit(doc.paths);
  visit(doc.webhooks);
  doc.components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  const tags = new Set(Object.values<any>(doc.paths).flatMap((item) => Object.values<any>(item).flatMap((op) => op?.tags ?? [])));
  if (Array.isArray(doc.tags)) doc.tags = doc.tags.filter((t: { name: string }) => tags.has(t.name));
  return doc;
}

/** OpenAPI 3.1 schemas are JSON Schema 2020-12: `nullable: true` becomes a `"null"` type alternative. */
function toJsonSchema2020(node: any): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach(toJsonSchema2020);
  if (node.nullable === true) {
    delete node.nullable;
    // A referenced schema first: Nest also writes `type: 'object'` beside its `allOf`, and
    // `type: ['object', 'null']` with `allOf: [$ref]` would still refuse null (the $ref is an object).
    if (node.$ref || node.allOf) {
      const inner = node.$ref ? { $ref: node.$ref } : { allOf: node.allOf };
      delete node.$ref;
      delete node.allOf;
      delete node.type;
      node.anyOf = [inner, { type: 'null' }];
    } else if (typeof node.type === 'string') node.type = [node.type, 'null'];
  } else if (node.nullable === false) delete node.nullable;
  for (const v of Object.values(node)) toJsonSchema2020(v);
}
