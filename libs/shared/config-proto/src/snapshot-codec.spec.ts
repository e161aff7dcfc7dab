import { DISABLED_JWT_AUTH, canonicalJson, hashSnapshotContent, validateSnapshotContent, type SnapshotContent } from '@gw/config-contract';
import { plainApi, plainUpstream, samplePolicies } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { loadConfigProto } from './load-config-proto.js';
import { contentFromProto, contentToProto, snapshotFromResponse } from './snapshot-codec.js';

/**
 * Every field of the snapshot, with values that are not proto3 defaults where a field is
 * on (so a dropped field shows) and with the zero values of the disabled forms (so a
 * zero that decodes to something else shows too).
 */
const content: SnapshotContent = {
  apis: [
    {
      name: 'orders',
      hosts: ['*.shop.example.com', 'api.example.com'],
      basePath: '/orders',
      stripBasePath: true,
      routes: [
        {
          name: 'create',
          methods: ['POST'],
          path: '/',
          rateLimits: [{ name: 'create', limit: 10, windowMs: 1000, burst: 20, key: { by: 'header', name: 'x-tenant' }, scope: 'local', failureMode: 'closed' }],
        },
        { name: 'get-order', methods: ['GET', 'HEAD'], path: '/:id', rateLimits: [] },
        { name: 'rest', methods: [], path: '/files/*', rateLimits: [] },
      ],
      // Every policy on, every field set (the secrets included: they must survive too).
      policies: samplePolicies(),
      upstream: {
        targets: [
          { url: 'http://10.0.0.7:8080', weight: 3, zone: 'eu-west-1a' },
          { url: 'https://10.0.0.8/v2', weight: 1, zone: '' },
        ],
        loadBalancing: { algorithm: 'consistent-hash', hashOn: { source: 'header', name: 'x-user-id' }, zoneAware: true, minZoneHealthyPercent: 70 },
        timeouts: { connectMs: 5000, requestMs: 30000, totalMs: 60000 },
        retries: { attempts: 2, on: ['502', '503', '504', 'connect-failure', 'reset', 'timeout'], backoffBaseMs: 25, backoffMaxMs: 250, budgetPercent: 20, budgetMinPerSecond: 3 },
        healthCheck: { enabled: true, path: '/health?full=1', intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 },
        outlierDetection: { enabled: true, consecutiveFailures: 5, baseEjectionMs: 30000, maxEjectionMs: 300000, maxEjectionPercent: 50 },
        circuitBreaker: { enabled: true, maxConcurrent: 1024, maxPending: 128, failureRatePercent: 50, windowMs: 10000, minRequests: 20, openMs: 5000, halfOpenRequests: 3 },
        hostRewrite: 'orders.internal:8443',
      },
    },
    // Every resilience block disabled, zero-valued fields where zero is allowed.
    plainApi('root', '/', ['http://10.0.0.9:80'], {
      stripBasePath: false,
      upstream: plainUpstream(['http://10.0.0.9:80'], {
        retries: { attempts: 0, on: [], backoffBaseMs: 1, backoffMaxMs: 1, budgetPercent: 0, budgetMinPerSecond: 0 },
        timeouts: { connectMs: 1, requestMs: 1, totalMs: 1 },
      }),
    }),
    plainApi('sessions', '/sessions', ['http://10.0.0.10:80'], {
      // Enabled blocks whose fields hold zero values: a zero must decode as that zero.
      policies: {
        consumerHeader: 'x-consumer-id',
        cors: { enabled: true, allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAgeSec: 0 },
        auth: { enabled: true, apiKey: { enabled: true, location: 'header', name: 'x-api-key', forward: false, keys: [] }, jwt: { ...DISABLED_JWT_AUTH, keys: [], issuers: [], audiences: [], algorithms: [] }, allowConsumers: [] },
        rateLimits: [{ name: 'a', limit: 1, windowMs: 1, burst: 1, key: { by: 'ip', name: '' }, scope: 'global', failureMode: 'open' }],
        idempotency: { enabled: true, methods: ['DELETE'], required: false, headerName: 'x-idem', ttlMs: 1000, lockTtlMs: 100, maxResponseBytes: 0 },
      },
      upstream: plainUpstream(['http://10.0.0.10:80'], {
        loadBalancing: { algorithm: 'consistent-hash', hashOn: { source: 'cookie', name: 'Session' }, zoneAware: false, minZoneHealthyPercent: 0 },
        circuitBreaker: { enabled: true, maxConcurrent: 1, maxPending: 0, failureRatePercent: 100, windowMs: 1, minRequests: 1, openMs: 1, halfOpenRequests: 1 },
        outlierDetection: { enabled: true, consecutiveFailures: 1, baseEjectionMs: 1, maxEjectionMs: 1, maxEjectionPercent: 0 },
      }),
    }),
    plainApi('sticky', '/sticky', ['http://10.0.0.11:80'], {
      upstream: plainUpstream(['http://10.0.0.11:80'], {
        loadBalancing: { algorithm: 'consistent-hash', hashOn: { source: 'client-ip', name: '' }, zoneAware: true, minZoneHealthyPercent: 100 },
      }),
    }),
    plainApi('least', '/least', ['http://10.0.0.12:80'], {
      upstream: plainUpstream(['http://10.0.0.12:80'], { loadBalancing: { algorithm: 'least-request', hashOn: { source: 'none', name: '' }, zoneAware: true, minZoneHealthyPercent: 1 } }),
    }),
  ].sort((a, b) => (a.name < b.name ? -1 : 1)),
};

function wireRoundTrip(c: SnapshotContent) {
  const proto = loadConfigProto();
  const response = { version: 42, epoch: 3, hash: hashSnapshotContent(c), nonce: 'n1', controllerId: 'c1', controllerZone: 'a', snapshot: contentToProto(c) };
  // Serialize and parse with the service's own (de)serializers: what really crosses the wire.
  const method = proto.gateway.config.v1.ConfigDiscovery.service.StreamConfig;
  return snapshotFromResponse(method.responseDeserialize(method.responseSerialize(response)));
}

describe('snapshot codec', () => {
  it('uses a fixture the runtime accepts', () => {
    expect(validateSnapshotContent(content)).toEqual([]);
  });

  it('round-trips every field through protobuf bytes to byte-identical canonical content (same hash)', () => {
    const snapshot = wireRoundTrip(content);
    expect(snapshot.version).toBe(42);
    expect(snapshot.epoch).toBe(3);
    expect(snapshot.content).toEqual(content);
    expect(canonicalJson(snapshot.content)).toBe(canonicalJson(content));
    expect(hashSnapshotContent(snapshot.content)).toBe(hashSnapshotContent(content));
  });

  it('decodes a message with a missing upstream to content that has no targets and fails validation', () => {
    const decoded = contentFromProto({ apis: [{ name: 'x', hosts: [], basePath: '/x', stripBasePath: true, routes: [], upstream: null }] });
    expect(decoded.apis[0]!.upstream.targets).toEqual([]);
    expect(validateSnapshotContent(decoded).map((p) => p.path)).toContain('apis[0].upstream.targets');
    expect(contentFromProto(null)).toEqual({ apis: [] });
  });

  it('decodes missing policy sub-messages to null, so validation names them', () => {
    const message = contentToProto(content);
    const policies = message.apis!.find((a) => a.name === 'orders')!.policies!;
    delete policies.cors;
    delete policies.auth!.jwt;
    delete policies.rateLimits![0]!.key;
    const noPolicies = message.apis!.find((a) => a.name === 'root')!;
    delete noPolicies.policies;
    const proto = loadConfigProto();
    const method = proto.gateway.config.v1.ConfigDiscovery.service.StreamConfig;
    const bytes = method.responseSerialize({ version: 1, epoch: 1, hash: '', nonce: 'n', controllerId: 'c', controllerZone: 'a', snapshot: message });
    const decoded = snapshotFromResponse(method.responseDeserialize(bytes)).content;
    const paths = validateSnapshotContent(decoded).map((p) => p.path);
    const orders = decoded.apis.findIndex((a) => a.name === 'orders');
    const root = decoded.apis.findIndex((a) => a.name === 'root');
    expect(paths).toEqual(
      expect.arrayContaining([
        `apis[${orders}].policies.cors`,
        `apis[${orders}].policies.auth.jwt`,
        `apis[${orders}].policies.rateLimits[0].key`,
        `apis[${root}].policies`,
      ]),
    );
  });

  it('decodes a missing sub-message to null, never to invented defaults, so validation names it', () => {
    const message = contentToProto(content);
    const upstream = message.apis![0]!.upstream!;
    delete upstream.healthCheck;
    delete upstream.circuitBreaker;
    const proto = loadConfigProto();
    const method = proto.gateway.config.v1.ConfigDiscovery.service.StreamConfig;
    const bytes = method.responseSerialize({ version: 1, epoch: 1, hash: '', nonce: 'n', controllerId: 'c', controllerZone: 'a', snapshot: message });
    const decoded = snapshotFromResponse(method.responseDeserialize(bytes)).content;
    expect(decoded.apis[0]!.upstream.healthCheck).toBeNull();
    const paths = validateSnapshotContent(decoded).map((p) => p.path);
    expect(paths).toEqual(['apis[0].upstream.healthCheck', 'apis[0].upstream.circuitBreaker']);
  });
});
