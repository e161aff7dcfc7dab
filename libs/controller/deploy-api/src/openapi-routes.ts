import type express from 'express';
import { z } from 'zod';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi-document.js';
import type { OperationDoc } from './operation-doc.js';
import { listDeclaredRoutes, declareRoute } from './route-access.js';

const DOC: OperationDoc = {
  operationId: 'getOpenApiDocument',
  summary: 'This OpenAPI 3.1 document',
  description: 'Built from the routes the controller registered, with their declared access and schemas. Holds no data, so it needs no token.',
  tags: ['meta'],
  responses: { 200: { description: 'The OpenAPI 3.1 document.', schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }) } },
};

/**
 * `GET /v1/openapi.json` (public). The document describes every declared route of `app`,
 * so it is built at the first request, when every router (extraRoutes included) is in place.
 */
export function declareOpenApiRoute(app: express.Express): void {
  let body: string | undefined;
  declareRoute(app, OPENAPI_PATH, {
    get: [
      'public',
      DOC,
      (_req, res) => {
        body ??= JSON.stringify(buildOpenApiDocument(listDeclaredRoutes(app)), null, 2);
        res.setHeader('Cache-Control', 'no-cache');
        res.type('application/json').send(body);
      },
    ],
  });
}
