import { createHash } from 'node:crypto';
import { API_DEFINITION_SCHEMA_PATH, apiDefinitionJsonSchema } from '@gw/api-schema';
import express from 'express';
import { declareRoute } from './route-access.js';

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
