import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { http, HttpResult } from './http';

type ValidateFn = ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params?: unknown }> | null };

/**
 * Validates real answers against the OpenAPI document the gateway serves (`GET /openapi.json`): every
 * call made through `call` is checked against the schema of its path, method and status, whose objects
 * are closed (docs/api-style.md) — an undocumented field, a wrong type or an unlisted status fails.
 */
export class ContractClient {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Array<{ re: RegExp; template: string }>;
  private readonly cache = new Map<string, ValidateFn>();
  /** `METHOD template status` of every answer validated, for the coverage check. */
  readonly validated = new Set<string>();

  private constructor(
    readonly baseUrl: string,
    readonly doc: any,
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: doc.components } as any);
    this.routes = Object.keys(doc.paths)
      // Literal paths before templated ones (`/v1/apps/rankings/settings` is not `/v1/apps/rankings/{x}`).
      .sort((a, b) => a.split('{').length - b.split('{').length)
      .map((template) => ({
        template,
        re: new RegExp(`^${template.replace(/\{slug\}/g, '.+').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }));
  }

  static async connect(baseUrl: string): Promise<ContractClient> {
    const r = await http('GET', `${baseUrl}/openapi.json`);
    if (r.status !== 200) throw new Error(`GET /openapi.json answered ${r.status}`);
    return new ContractClient(baseUrl, r.body);
  }

  /** The validator of a component schema (`#/components/schemas/<name>`). */
  schema(name: string): ValidateFn {
    return this.compile(`openapi#/components/schemas/${name}`);
  }

  private compile(ref: string): ValidateFn {
    let v = this.cache.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: ref }) as ValidateFn;
      this.cache.set(ref, v);
    }
    return v;
  }

  /** Throws with the schema errors when `data` does not match the component schema `name`. */
  assertSchema(name: string, data: unknown, what = name): void {
    const v = this.schema(name);
    if (!v(data)) throw new Error(`${what} does not match ${name}: ${JSON.stringify(v.errors?.slice(0, 5))}\n${JSON.stringify(data).slice(0, 1500)}`);
  }

  async call<T = any>(method: string, path: string, opts: Parameters<typeof http>[2] = {}): Promise<HttpResult<T>> {
    const r = await http<T>(method, `${this.baseUrl}${path}`, opts);
    this.check(method, path, r);
    return r;
  }

  /** Validates an answer obtained otherwise (e.g. with a browser's cookie jar) against the document. */
  check(method: string, path: string, r: { status: number; body: unknown }): void {
    const bare = path.split('?')[0];
    const route = this.routes.find((x) => x.re.test(bare));
    const op = route ? this.doc.paths[route.template][method.toLowerCase()] : undefined;
    if (!route || !op) throw new Error(`${method} ${bare} is not in the OpenAPI document`);
    const answer = op.responses?.[String(r.status)];
    if (!answer) throw new Error(`${method} ${route.template} answered ${r.status}, a status the document does not list: ${JSON.stringify(r.body).slice(0, 500)}`);
    const schemaRef = answer.content?.['application/json']?.schema?.$ref as string | undefined;
    if (schemaRef) {
      const v = this.compile(`openapi${schemaRef}`);
      if (!v(r.body)) {
        throw new Error(`${method} ${route.template} ${r.status} does not match ${schemaRef}: ${JSON.stringify(v.errors?.slice(0, 5))}\n${JSON.stringify(r.body).slice(0, 1500)}`);
      }
    }
    this.validated.add(`${method.toUpperCase()} ${route.template} ${r.status}`);
  }
}
