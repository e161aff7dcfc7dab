import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { apiResource, contentHash, type ConfigResource } from './config-resource.js';
import { decodeApiResource } from './decode-resource.js';

const api = plainApi('orders', '/orders', ['http://10.0.0.7:8080']);

function resourceWith(content: unknown, name = 'orders'): ConfigResource {
  const text = typeof content === 'string' ? content : canonicalJson(content);
  return { type: 'api', name, version: 1, hash: contentHash(text), content: text };
}

describe('decodeApiResource', () => {
  it('gives back the definition, validated and normalized by the API schema', () => {
    expect(decodeApiResource(apiResource(api, 1))).toEqual({ ok: true, api });
  });

  it('fills the default of a field an older controller did not send', () => {
    const { stripBasePath: _omitted, ...older } = api;
    const decoded = decodeApiResource(resourceWith(older));
    expect(decoded).toEqual({ ok: true, api });
  });

  it('names every field this build does not know: GW_SNAPSHOT_UNSUPPORTED (version skew), never a silent drop', () => {
    const newer = { ...api, upstream: { ...api.upstream, timeouts: { ...api.upstream.timeouts, futureMs: 5 } }, mirror: { percent: 1 } };
    const decoded = decodeApiResource(resourceWith(newer));
    expect(decoded).toEqual({
      ok: false,
      code: 'GW_SNAPSHOT_UNSUPPORTED',
      message: expect.stringContaining('fields upstream.timeouts.futureMs, mirror are not known to this runtime'),
    });
  });

  it('refuses an unknown resource type as unsupported', () => {
    expect(decodeApiResource({ ...apiResource(api, 1), type: 'consumer' })).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_UNSUPPORTED', message: expect.stringContaining('"consumer"') });
  });

  it('refuses invalid content at its path, a name that is not the resource name, and non-JSON', () => {
    expect(decodeApiResource(resourceWith({ ...api, basePath: 'orders' }))).toEqual({ ok: false, code: 'GW_SNAPSHOT_INVALID', message: 'api "orders": basePath must start with "/"' });
    expect(decodeApiResource(resourceWith(api, 'billing'))).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID', message: expect.stringContaining('name must match') });
    expect(decodeApiResource(resourceWith('{"name":'))).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID', message: 'api "orders": content is not JSON' });
  });
});
