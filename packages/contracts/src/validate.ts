import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from './errors';

/** Flattens class-validator errors into `field: message` lines a person can act on. */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    for (const msg of Object.values(e.constraints ?? {})) out.push(msg.startsWith(e.property) ? `${prefix ? prefix + '.' : ''}${msg}` : `${path}: ${msg}`);
    if (e.children?.length) out.push(...describeValidationErrors(e.children, path));
  }
  return out;
}

/** Validates an incoming message against its contract class; throws BAD_REQUEST on mismatch. */
export function validateMessage<T extends object>(cls: new () => T, payload: unknown): T {
  if (!payload || typeof payload !== 'object') throw new DomainError(ErrorCode.BAD_REQUEST, 'message must be an object');
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance as object, { whitelist: false });
  if (errors.length) throw new DomainError(ErrorCode.BAD_REQUEST, describeValidationErrors(errors).join('; '));
  return instance;
}
