import { z } from 'zod';
import { ApiDefinitionSchema } from './api-definition.schema.js';

/** Where the deploy API serves the schema. */
export const API_DEFINITION_SCHEMA_PATH = '/v1/schemas/api-definition.json';

/**
 * The JSON Schema (draft 2020-12) of what operators write, generated from the one
 * declaration: editors (yaml-language-server, VS Code), the operator CLI and the OpenAPI
 * document use it. Rules written as code (a base path's segments, a JWK's key size,
 * fields that depend on each other) are described, not expressed; the deploy API checks
 * them all. Every default is shown, as the schema fills it in.
 */
export function apiDefinitionJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ApiDefinitionSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: (ctx) => {
      // zod leaves out the default of a field it normalizes (the default is an output
      // value); ours are valid input as they are (normalizing them changes nothing).
      const def = ctx.zodSchema._zod.def;
      if (def.type === 'default' && !('default' in ctx.jsonSchema)) ctx.jsonSchema['default'] = JSON.parse(JSON.stringify((def as { defaultValue: unknown }).defaultValue));
    },
  }) as Record<string, unknown>;
  return {
    $schema: schema['$schema'],
    $id: 'urn:gw:schema:api-definition',
    title: 'Gateway API definition',
    description: 'The body of PUT /v1/apis/{name}: one API served by the gateway. Every field with a default may be left out.',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}
