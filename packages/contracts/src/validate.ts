import type { ValidationError } from 'class-validator';

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
