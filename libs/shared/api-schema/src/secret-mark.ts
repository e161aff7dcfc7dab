import type { z } from 'zod';

/**
 * The one mark of a secret field, kept in the schema's metadata so it reaches the JSON
 * Schema as `"x-secret": true`. Everything that treats secrets differently walks this
 * mark (secret-fields.ts): the deploy API masks the field in responses and the store seals
 * it at rest. A new secret field needs this mark and nothing else.
 */
export const SECRET_MARK = 'x-secret';

/** Marks a string field of the API definition as a secret (apply before `.optional()`). */
export function secretField<T extends z.ZodType>(schema: T): T {
  return schema.meta({ [SECRET_MARK]: true }) as T;
}
