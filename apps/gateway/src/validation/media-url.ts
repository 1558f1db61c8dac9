import { registerDecorator, ValidationOptions } from 'class-validator';
import { mediaUrlProblem } from '@pipevideo/contracts';

export { DATA_URI_MAX_BYTES, URL_MAX_LENGTH, mediaUrlProblem } from '@pipevideo/contracts';

export function IsMediaUrl(kind: 'image' | 'video', options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isMediaUrl',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => mediaUrlProblem(value, kind) === null,
        defaultMessage: (args) => `${args?.property} ${mediaUrlProblem(args?.value, kind) ?? 'is invalid'}`,
      },
    });
}
