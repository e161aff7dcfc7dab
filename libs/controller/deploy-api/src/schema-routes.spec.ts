// The public JSON Schema of the API definition, injected in-process (no socket is the
// subject here) and checked with a validator that is not ours (ajv, draft 2020-12).
import { API_DEFINITION_SCHEMA_PATH, apiDefinitionJsonSchema } from '@gw/api-schema';
import { Ajv2020 } from 'ajv/dist/2020.js';
import inject from 'light-my-request';
import { describe, expect, it } from 'vitest';
import { createControllerHttpApp } from './controller-http-app.js';
import type { ApiStore, AuditStore, TokenStore } from '@gw/store';

const app = createControllerHttpApp({
  // The schema never touches the store: every method fails if it is called.
  store: new Proxy({} as ApiStore, { get: () => () => Promise.reject(new Error('the schema route must not use the store')) }),
  tokens: new Proxy({} as TokenStore, { get: () => () => Promise.reject(new Error('the schema route must not look tokens up')) }),
  audit: new Proxy({} as AuditStore, { get: () => () => Promise.reject(new Error('the schema route must not read the audit log')) }),
  adminToken: 'secret',
  readiness: async () => ({ ready: true, checks: {} }),
});

describe('GET /v1/schemas/api-definition.json', () => {
  it('is served without a token, as application/schema+json, with an ETag that revalidates', async () => {
    const res = await inject(app, { method: 'GET', url: API_DEFINITION_SCHEMA_PATH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(res.json()).toEqual(apiDefinitionJsonSchema());
    const again = await inject(app, { method: 'GET', url: API_DEFINITION_SCHEMA_PATH, headers: { 'if-none-match': String(res.headers['etag']) } });
    expect(again.statusCode).toBe(304);
    // Everything else under /v1 still needs the token.
    expect((await inject(app, { method: 'GET', url: '/v1/apis' })).statusCode).toBe(401);
  });

  it('lets a third-party validator (ajv, draft 2020-12) accept real definitions and refuse what the deploy API refuses', async () => {
    const schema = (await inject(app, { method: 'GET', url: API_DEFINITION_SCHEMA_PATH })).json();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const smallest = { name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
    const full = {
      ...smallest,
      hosts: ['api.example.com'],
      routes: [{ name: 'get', methods: ['GET'], path: '/:id', rateLimits: [{ name: 'r', limit: 5, windowMs: 1000 }] }],
      upstream: { targets: [{ url: 'http://a:1', weight: 2, zone: 'z' }], loadBalancing: { algorithm: 'consistent-hash', hashOn: { header: 'x-user' } }, healthCheck: {}, circuitBreaker: null },
      policies: { cors: { allowOrigins: ['*'] }, auth: { apiKey: { keys: [{ sha256: 'a'.repeat(64), consumer: 'c' }] } }, idempotency: { required: true } },
    };
    for (const ok of [smallest, full]) expect(validate(ok), JSON.stringify(validate.errors)).toBe(true);
    const refused: [unknown, string][] = [
      [{ ...smallest, extra: 1 }, 'additionalProperties'],
      [{ ...smallest, upstream: { targets: [] } }, 'minItems'],
      [{ ...smallest, upstream: { targets: [{ url: 'http://a', weight: 0 }] } }, 'minimum'],
      [{ ...smallest, upstream: { ...smallest.upstream, loadBalancing: { algorithm: 'random' } } }, 'enum'],
      [{ ...smallest, upstream: { ...smallest.upstream, loadBalancing: { hashOn: { header: 'a', cookie: 'b' } } } }, 'maxProperties'],
      [{ basePath: '/x', upstream: smallest.upstream }, 'required'],
    ];
    for (const [input, keyword] of refused) {
      expect(validate(input)).toBe(false);
      expect(validate.errors!.map((e: { keyword: string }) => e.keyword)).toContain(keyword);
    }
  });
});
