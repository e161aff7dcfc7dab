import { createHash } from 'node:crypto';
import { API_DEFINITION_SCHEMA_PATH, apiDefinitionJsonSchema } from '@gw/api-schema';
import express from 'express';
import { z } from 'zod';
import type { OperationDoc } from './operation-doc.js';
import { declareRoute } from './route-access.js';

const SCHEMA_DOC: OperationDoc = {
  operationId: 'getApiDefinitionSchema',
  summary: 'The JSON Schema of an API definition',
  description: 'For editors and tools; generated from the same declaration the deploy API validates with.',
  tags: ['meta'],
  parameters: [{ name: 'If-None-Match', in: 'header', description: 'The ETag of a copy the caller holds: 304 while it is current.', schema: z.string() }],
  responses: {
    200: { description: 'The JSON Schema (draft 2020-12).', contentType: 'application/schema+json', headers: { ETag: 'A hash of the schema.' }, schema: z.looseObject({ $schema: z.string() }) },
    304: { description: 'The caller’s copy is current.' },
  },
};

/**
 * The JSON Schema of the API definition for editors and tools, without a token: it holds
 * no data, only the shape, and editors fetch it without credentials. Rendered once, served
 * with an ETag so editors revalidate cheaply.
 */
export function createSchemaRouter(): express.Router {
  const router = express.Router();
  const body = JSON.stringify(apiDefinitionJsonSchema(), null, 2);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  declareRoute(router, API_DEFINITION_SCHEMA_PATH, {
    get: [
      'public',
      SCHEMA_DOC,
      (req, res) => {
        res.setHeader('cache-control', 'public, max-age=300');
        res.setHeader('etag', etag);
        if (req.headers['if-none-match'] === etag) {
          res.status(304).end();
          return;
        }
        res.status(200).type('application/schema+json').send(body);
      },
    ],
  });
  return router;
}
