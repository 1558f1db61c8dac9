import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder } from '@nestjs/swagger';
import type { SwaggerModule as SwaggerModuleType } from '@nestjs/swagger';

/** Paths that are infrastructure, not API: left out of the public document. */
const HIDDEN = [/^\/metrics$/, /^\/health/, /^\/openapi\.json$/];

/** OpenAPI 3.1 document generated from the controllers' decorators and the DTOs. */
export function buildOpenApiDocument(app: INestApplication, swagger: typeof SwaggerModuleType): Record<string, any> {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Pipevideo API')
    .setDescription(
      'One API for video generation across providers. Authenticate with `Authorization: Bearer pv_…` (a standard key; key management needs a management key). ' +
        'Errors: `{ "error": { "code", "message", "details"? } }`, except under /v1/responses where they follow OpenAI: `{ "error": { "message", "type", "param", "code" } }`.',
    )
    .setVersion('1.0.0')
    .addServer('http://localhost:3001', 'Local development')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'pv_…', description: 'Standard API key' }, 'apiKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'pv_…', description: 'Management API key (key management only)' }, 'managementKey')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Operator token (PIPEVIDEO_ADMIN_TOKEN)' }, 'operatorToken')
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
