import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { ApiError, FieldIssue } from '../http/api-error';
import { ErrorCode } from '@pipevideo/contracts';

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
  return body as Record<string, unknown>;
}

/**
 * Validates a plain object against a DTO class. Unknown properties are refused unless the caller
 * takes them out first (the video API forwards them in `extra`).
 */
export function validateDto<T extends object>(cls: new () => T, plain: Record<string, unknown>, opts: { forbidUnknown?: boolean } = {}): T {
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
