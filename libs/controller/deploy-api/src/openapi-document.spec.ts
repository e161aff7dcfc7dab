// The document builder and the conformance checks the controller's OpenAPI spec relies on:
// a route without its description is reported, statuses come from the declaration, and a
// live answer that strays from the document is caught.
import { compileErrors, validate } from '@readme/openapi-parser';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonBody } from './json-body.js';
import { buildOpenApiDocument, openApiPath } from './openapi-document.js';
import type { OperationDoc } from './operation-doc.js';
import { ApiResourceSchema } from './openapi-schemas.js';
import { declareRoute, elevatedWhen, listDeclaredRoutes } from './route-access.js';
import { OpenApiConformance, openApiCoverage } from './testing/index.js';

const ok = () => undefined;
const THING: OperationDoc = {
  operationId: 'getThing',
  summary: 'A thing',
  tags: ['t'],
  parameters: [{ name: 'full', in: 'query', description: 'More.', schema: z.enum(['true', 'false']) }],
  responses: { 200: { description: 'The thing.', schema: z.object({ id: z.int(), api: ApiResourceSchema.optional() }) } },
  problems: { 404: 'No such thing.' },
};
const WRITE: OperationDoc = {
  operationId: 'putThing',
  summary: 'Write a thing',
  tags: ['t'],
  requestBody: { description: 'The thing.', schema: z.object({ id: z.int() }) },
  responses: { 204: { description: 'Written.' } },
};

function sampleApp(): express.Express {
  const app = express();
  declareRoute(app, '/v1/things/:id', {
    get: ['viewer', THING, elevatedWhen('full', 'true', 'admin'), ok],
    put: ['deployer', WRITE, jsonBody({ limit: 10 }), ok],
  });
  declareRoute(app, '/open', { get: ['public', { ...THING, operationId: 'open' }, ok] });
  declareRoute(app, '/forgotten', { post: ['admin', ok] });
  return app;
}

describe('buildOpenApiDocument', () => {
  const app = sampleApp();
  const doc = buildOpenApiDocument(listDeclaredRoutes(app));
  const paths = doc['paths'] as Record<string, Record<string, Record<string, unknown>>>;

  it('is valid OpenAPI 3.1 (@readme/openapi-parser)', async () => {
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  it('leaves out a route declared without a description, and the coverage check names it', () => {
    expect(paths['/forgotten']).toBeUndefined();
    expect(openApiCoverage(app, doc)).toEqual({ missing: ['POST /forgotten'], extra: [] });
    const extra = { ...doc, paths: { ...paths, '/ghost': { get: paths['/open']!['get']! } } };
    expect(openApiCoverage(app, extra).extra).toEqual(['GET /ghost']);
  });

  it('derives statuses, security and path parameters from the declaration', () => {
    const get = paths['/v1/things/{id}']!['get']!;
    const put = paths['/v1/things/{id}']!['put']!;
    const open = paths['/open']!['get']!;
    expect(Object.keys(get['responses'] as object)).toEqual(['200', '401', '403', '404', '500', '503']);
    expect(Object.keys(put['responses'] as object)).toEqual(['204', '400', '401', '403', '413', '415', '500', '503']);
    expect(Object.keys(open['responses'] as object)).toEqual(['200', '404', '500']);
    expect(open['security']).toEqual([]);
    expect(put['security']).toEqual([{ bearerAuth: [] }]);
    expect(put['x-required-role']).toBe('deployer');
    expect(get['x-elevated-access']).toEqual([{ query: 'full=true', role: 'admin' }]);
    expect(get['parameters']).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]));
    expect(put['requestBody']).toMatchObject({ required: true, content: { 'application/json': { schema: { type: 'object', required: ['id'] } } } });
    expect(JSON.stringify(get['responses'])).toContain('"$ref":"#/components/schemas/ApiResource"');
    expect(openApiPath('/a/:b/c/:d')).toBe('/a/{b}/c/{d}');
  });

  it('catches answers that stray from the document', () => {
    const check = new OpenApiConformance(doc);
    const json = { 'content-type': 'application/json; charset=utf-8' };
    expect(check.check('GET', '/v1/things/:id', { statusCode: 200, headers: json, payload: '{"id": 1}' })).toEqual([]);
    expect(check.check('GET', '/v1/things/:id', { statusCode: 200, headers: json, payload: '{"id": "1"}' })[0]).toMatch(/does not match its schema/);
    expect(check.check('GET', '/v1/things/:id', { statusCode: 200, headers: json, payload: '{"id": 1, "api": {"revision": 1}}' })[0]).toMatch(/does not match/);
    expect(check.check('GET', '/v1/things/:id', { statusCode: 418, headers: json, payload: '{}' })[0]).toMatch(/status not documented/);
    expect(check.check('GET', '/v1/things/:id', { statusCode: 200, headers: { 'content-type': 'text/html' }, payload: '<p>' })[0]).toMatch(/media type text\/html/);
    expect(check.check('GET', '/v1/things/:id', { statusCode: 404, headers: { 'content-type': 'application/problem+json' }, payload: '{"status": 404}' })[0]).toMatch(/does not match/);
    expect(check.check('PUT', '/v1/things/:id', { statusCode: 204, headers: {}, payload: 'x' })[0]).toMatch(/without a body/);
    expect(check.check('GET', '/nowhere', { statusCode: 200, headers: json, payload: '{}' })[0]).toMatch(/no such operation/);
    expect(check.unexercised()).toEqual(['PUT /v1/things/{id}', 'GET /open']);
  });
});
