import { apiDefinitionJsonSchema } from '@gw/api-schema';
import { z } from 'zod';
import type { OperationDoc, ResponseDoc } from './operation-doc.js';
import { ApiDefinitionSchema, OPENAPI_COMPONENTS } from './openapi-schemas.js';
import { PROBLEM_CONTENT_TYPE } from './problem-details.js';
import type { DeclaredRoute } from './route-access.js';

export const OPENAPI_PATH = '/v1/openapi.json';
export const BEARER_SCHEME = 'bearerAuth';

type Json = Record<string, unknown>;

const COMPONENT_NAMES = new Map<z.ZodType, string>([[ApiDefinitionSchema, 'ApiDefinition'], ...OPENAPI_COMPONENTS.map(([name, schema]) => [schema, name] as const)]);

/** `/v1/apis/:name` → `/v1/apis/{name}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what the server sends, shared schemas as `$ref`s to the components. */
function jsonSchemaOf(schema: z.ZodType, self?: z.ZodType): Json {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    override: (ctx) => {
      const name = COMPONENT_NAMES.get(ctx.zodSchema as unknown as z.ZodType);
      if (name === undefined || (ctx.zodSchema as unknown) === self) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Json)[key];
      (ctx.jsonSchema as Json)['$ref'] = `#/components/schemas/${name}`;
    },
  }) as Json;
  delete out['$schema'];
  return out;
}

function componentSchemas(): Json {
  const { $schema: _s, $id: _i, ...apiDefinition } = apiDefinitionJsonSchema();
  return { ApiDefinition: apiDefinition, ...Object.fromEntries(OPENAPI_COMPONENTS.map(([name, schema]) => [name, jsonSchemaOf(schema, schema)])) };
}

/** The problem answers every operation of this kind can give, from its declaration alone. */
function derivedProblems(route: DeclaredRoute): Record<number, string> {
  const problems: Record<number, string> = {};
  if (route.readsJsonBody) {
    problems[400] = 'The body is not valid JSON, not UTF-8 or empty (GW_BAD_JSON).';
    problems[413] = 'The body is larger than this operation accepts (GW_BODY_TOO_LARGE).';
    problems[415] = 'The body is not `application/json` in UTF-8 without Content-Encoding (GW_UNSUPPORTED_MEDIA_TYPE).';
  }
  if (route.access !== 'public') {
    problems[401] = 'No bearer token, or one that is unknown or expired (GW_UNAUTHORIZED); with `WWW-Authenticate: Bearer`.';
    problems[403] = `The token's role is weaker than ${route.access} (GW_FORBIDDEN).`;
    problems[503] = 'The configuration database is unavailable (GW_DATABASE_UNAVAILABLE), or this replica or its database was too busy to finish in time (GW_CONTROLLER_BUSY: every connection stayed busy, earlier writes took too long, or a statement ran past the statement timeout), or, for a write, the database stopped answering after COMMIT was sent (GW_OUTCOME_UNKNOWN: `name`, `revision`, `configVersion` and `check` say how to learn whether it committed); with `Retry-After`.';
  }
  problems[500] = 'An unexpected error, logged with the request id (GW_INTERNAL).';
  return problems;
}

function responseOf(doc: ResponseDoc): Json {
  const types = doc.contentType === undefined ? ['application/json'] : typeof doc.contentType === 'string' ? [doc.contentType] : doc.contentType;
  return {
    description: doc.description,
    ...(doc.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }),
    ...(doc.schema === undefined ? {} : { content: Object.fromEntries(types.map((t) => [t, { schema: jsonSchemaOf(doc.schema!) }])) }),
  };
}

function operationOf(route: DeclaredRoute, doc: OperationDoc, elevated: readonly DeclaredRoute[]): Json {
  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(doc.responses)) responses[status] = responseOf(response);
  const problems: Record<number, string> = { ...derivedProblems(route) };
  for (const [status, when] of Object.entries(doc.problems ?? {})) {
    const s = Number(status);
    problems[s] = problems[s] === undefined ? when : `${when} ${problems[s]}`;
  }
  for (const [status, description] of Object.entries(problems)) {
    responses[status] = { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  const pathParams = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  const given = doc.parameters ?? [];
  const parameters = [
    ...pathParams.filter((name) => !given.some((p) => p.in === 'path' && p.name === name)).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...given.map((p) => ({ name: p.name, in: p.in, description: p.description, required: p.in === 'path' ? true : p.required ?? false, schema: jsonSchemaOf(p.schema) })),
  ];
  const role = route.access === 'public' ? 'No token needed.' : `Needs a bearer token with the ${route.access} role (or a stronger one).`;
  const elevation = elevated.map((e) => ` With \`${e.query}\` it needs the ${e.access} role.`).join('');
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: `${doc.description === undefined ? '' : `${doc.description}\n\n`}${role}${elevation}`,
    tags: [...doc.tags],
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(doc.requestBody === undefined ? {} : { requestBody: { required: true, description: doc.requestBody.description, content: { 'application/json': { schema: jsonSchemaOf(doc.requestBody.schema) } } } }),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b))),
    security: route.access === 'public' ? [] : [{ [BEARER_SCHEME]: [] }],
    'x-required-role': route.access,
    ...(elevated.length === 0 ? {} : { 'x-elevated-access': elevated.map((e) => ({ query: e.query, role: e.access })) }),
  };
}

/**
 * The OpenAPI 3.1 document of every declared route that carries its description
 * (`listDeclaredRoutes`), in registration order. A declared route without one is left out;
 * the deploy API's specs fail on it (openapi-document.spec.ts).
 */
export function buildOpenApiDocument(routes: readonly DeclaredRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    if (route.query !== undefined || route.doc === undefined) continue;
    const elevated = routes.filter((r) => r.query !== undefined && r.path === route.path && r.method === route.method);
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operationOf(route, route.doc, elevated);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gateway deploy API',
      version: '1',
      description:
        'The controller’s operator API: API definitions, declarative apply, revisions, tokens, audit, fleet status and health. Errors are RFC 9457 problem documents (application/problem+json) with stable codes. Generated from the routes’ declarations.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (bootstrap, admin role) or a named token from POST /v1/tokens (`gwt_…`).' } },
      schemas: componentSchemas(),
    },
  };
}
