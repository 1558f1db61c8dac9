import { registerDecorator, ValidationOptions } from 'class-validator';

/** An absolute http(s) URL (reachability and address checks belong to the service that calls it). */
export function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname;
  } catch {
    return false;
  }
}

export function IsHttpUrl(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isHttpUrl',
      target: object.constructor,
      propertyName,
      options: { message: 'must be an absolute http(s) URL', ...options },
      validator: { validate: isHttpUrl },
    });
}
