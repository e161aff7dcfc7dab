import { ErrorCodes } from '@gw/errors';
import { TOKEN_ROLES } from '@gw/store';
import { z } from 'zod';

// Schemas shared by several operations of the OpenAPI document. Each becomes one entry of
// `components.schemas` (named in OPENAPI_COMPONENTS) and is referenced wherever it is used.

/** RFC 9457 problem document (problem-details.ts builds it); extension members such as `laggards` may follow. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('`urn:gw:problem:<code in lower case>`'),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(Object.values(ErrorCodes) as [string, ...string[]]).describe('The stable error code (docs: error codes).'),
    instance: z.string().describe('The request path, without its query.'),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string().describe('JSON Pointer into the body, or the query parameter name.'), message: z.string() }))
      .optional()
      .describe('Field problems, when the request had some.'),
  })
  .describe('An RFC 9457 problem document (application/problem+json).');

/**
 * Stands for the API definition, whose JSON Schema is generated from @gw/api-schema
 * (apiDefinitionJsonSchema) and placed in the components as is; responses show it with
 * secrets masked and defaults filled in.
 */
export const ApiDefinitionSchema = z.looseObject({ name: z.string() }).describe('An API definition (see GET /v1/schemas/api-definition.json).');

export const ApiResourceSchema = z.object({
  api: ApiDefinitionSchema,
  revision: z.int().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string().optional().describe('Who made the current revision; on list items only.'),
});

export const DefinitionChangeSchema = z.object({
  op: z.enum(['add', 'remove', 'replace']),
  path: z.string().describe('JSON Pointer into the definition.'),
  from: z.unknown().optional(),
  value: z.unknown().optional(),
});

/** A body that is text (metrics, files): its schema is a string. */
export const TextBodySchema = z.string();

export const TokenRoleSchema = z.enum(TOKEN_ROLES);

export const ConfigRefSchema = z.object({ version: z.int(), epoch: z.int(), hash: z.string() });
export const DesiredConfigSchema = z.object({ version: z.int(), epoch: z.int(), hash: z.string().nullable() });

/** Component names, in the order the document lists them. */
export const OPENAPI_COMPONENTS: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['Problem', ProblemSchema],
  ['ApiResource', ApiResourceSchema],
  ['DefinitionChange', DefinitionChangeSchema],
  ['TokenRole', TokenRoleSchema],
  ['ConfigRef', ConfigRefSchema],
  ['DesiredConfig', DesiredConfigSchema],
];
