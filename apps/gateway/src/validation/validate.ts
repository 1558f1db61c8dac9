import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ApiError, FieldIssue } from '../http/api-error';
import { ErrorCode } from '@pipevideo/contracts';
import { nulIssue, takeParsedBodyFindings } from '../http/json-body';

/** class-validator errors → `{field, message}` with dotted paths (`provider.max_price.per_request_cents`). */
export function fieldIssues(errors: ValidationError[], prefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const e of errors) {
    const path = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    const entries = Object.entries(e.constraints ?? {});
    if (entries.length) {
      // One message per field is enough to act on: the most basic failed rule. class-validator runs
      // a property's decorators bottom-up, and our DTOs put the type check at the bottom.
      const [rule, raw] = entries[0];
      const message =
        rule === 'whitelistValidation'
          ? `${path} is not a known field`
          : raw.startsWith(`${e.property} `)
            ? `${path}${raw.slice(e.property.length)}`
            : `${path} ${raw}`;
      out.push({ field: path, message });
    }
    if (e.children?.length) out.push(...fieldIssues(e.children, path));
  }
  return out;
}

export function invalid(issues: FieldIssue[]): ApiError {
  const message = issues.map((i) => i.message).join('; ');
  return new ApiError(ErrorCode.BAD_REQUEST, message, { details: issues, param: issues[0]?.field ?? null });
}

export function requireJsonObject(body: unknown, what = 'Request body'): Record<string, unknown> {
  if (body === undefined || body === null || body === '') throw new ApiError(ErrorCode.BAD_REQUEST, `${what} is required: send a JSON object with 'Content-Type: application/json'`);
  if (typeof body === 'string') throw new ApiError(ErrorCode.BAD_REQUEST, `${what} must be a JSON object sent with 'Content-Type: application/json'`);
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) throw new ApiError(ErrorCode.BAD_REQUEST, `${what} must be a JSON object`);
  return normalizeJsonBody(body as Record<string, unknown>);
}

/**
 * Two things every stored body needs, done once for all endpoints (in place, without recursion, so
 * no nesting depth can overflow the stack):
 * - an optional field sent as `null` means "not given", as in OpenAI's API (SDKs send nulls for unset
 *   options), so null-valued properties are removed at every depth (array elements are kept and validated);
 * - U+0000 is refused with a 400: PostgreSQL cannot store it in text or jsonb.
 * A body that came through the gateway's JSON parser was walked there already (`http/json-body.ts`
 * recorded what it found): this only applies that, without walking it again. Any other object — a
 * multipart body (`POST /v1/videos`), a body a parser builds for another (`parseOpenAIVideoBody` →
 * `parseVideoGenerationBody`), a test's — is walked here.
 */
export function normalizeJsonBody(body: Record<string, unknown>): Record<string, unknown> {
  const parsed = takeParsedBodyFindings(body);
  if (parsed) {
    if (parsed.nul) throw invalid([parsed.nul]);
    for (const [obj, key] of parsed.nulls) delete obj[key];
    return body;
  }
  const pending: Array<{ value: object; path: string }> = [{ value: body, path: '' }];
  const nulIn = (path: string) => invalid([nulIssue(path)]);
  while (pending.length) {
    const { value, path } = pending.pop()!;
    const isArray = Array.isArray(value);
    for (const [k, v] of Object.entries(value)) {
      const at = isArray ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      if (k.includes('\u0000')) throw nulIn(path);
      if (v === null && !isArray) delete (value as Record<string, unknown>)[k];
      else if (typeof v === 'string' && v.includes('\u0000')) throw nulIn(at);
      else if (v !== null && typeof v === 'object') pending.push({ value: v, path: at });
    }
  }
  return body;
}

/**
 * Validates a plain object against a DTO class. Unknown properties are refused unless the caller
 * takes them out first (the video API forwards them in `extra`).
 */
export function validateDto<T extends object>(cls: new () => T, plain: Record<string, unknown>, opts: { forbidUnknown?: boolean } = {}): T {
  // class-transformer skips a key the instance already has as a function (`constructor`, `toString`,
  // …), so the unknown-field check would never see it: refused here by name.
  if (opts.forbidUnknown ?? true) {
    const inherited = Object.keys(plain).filter((k) => k in Object.prototype);
    if (inherited.length) throw invalid(inherited.map((k) => ({ field: k, message: `${k} is not a known field` })));
  }
  let instance: T;
  try {
    instance = plainToInstance(cls, plain, { enableImplicitConversion: false, exposeDefaultValues: false });
  } catch {
    throw new ApiError(ErrorCode.BAD_REQUEST, 'Request body has an invalid structure');
  }
  const errors = validateSync(instance as object, {
    whitelist: true,
    forbidNonWhitelisted: opts.forbidUnknown ?? true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length) throw invalid(fieldIssues(errors));
  return instance;
}
