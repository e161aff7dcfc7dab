// Version skew during an upgrade, across a real runtime process and real gRPC. A newer
// controller (here the real ConfigServer serving resources written by hand) sends an API
// that uses a field this runtime's schema does not know: the runtime NACKs the config with
// GW_SNAPSHOT_UNSUPPORTED naming the field, never half-applies it, and keeps serving its
// last good config. An older controller that leaves a field out gets this runtime's
// default for it.
import type { ApiDefinition } from '@gw/api-schema';
import { definitionOf } from '@gw/api-schema/testing';
import { apiResource, buildSnapshot, canonicalJson, contentHash, type ConfigResource } from '@gw/config-contract';
import { ConfigServer, type RuntimeSession } from '@gw/config-server';
import { SnapshotCache } from '@gw/snapshot-cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { logRecords, runtimeConfig, startRuntimeProcess, waitRuntimeVersion, withOutput, type RuntimeProcess } from './support/gateway-processes.js';
import { http } from './support/http.js';
import { stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

let upstream: RecordingUpstream;
let server: ConfigServer;
let runtime: RuntimeProcess;
const cache = new SnapshotCache();
const nacks: NonNullable<RuntimeSession['lastNack']>[] = [];
let orders: ApiDefinition;

/** A resource whose content is `content` as it stands (canonical JSON, its real hash). */
function resourceOf(name: string, content: unknown, revision: number): ConfigResource {
  const text = canonicalJson(content);
  return { type: 'api', name, version: revision, hash: contentHash(text), content: text };
}

beforeAll(async () => {
  upstream = await startRecordingUpstream('orders-upstream');
  orders = definitionOf({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: upstream.url }] } });
  cache.set(buildSnapshot(1, 1, [apiResource(orders, 1)]));
  server = new ConfigServer({ cache, controllerId: 'ctl-newer', zone: 'a', callbacks: { onNack: (s) => void nacks.push(s.lastNack!) } });
  const port = await server.listen('127.0.0.1:0');
  // The in-process ConfigServer above is plaintext.
  runtime = await startRuntimeProcess({ id: 'rt-skew', controllers: `127.0.0.1:${port}`, insecure: true });
  await waitRuntimeVersion(runtime, 1);
}, 60_000);

afterAll(async () => {
  await stopAll();
  await server?.close();
  await upstream?.close();
});

describe('version skew between controller and runtime', () => {
  it('NACKs a resource that uses a field this runtime does not know, naming it, and keeps serving the last good config', async () => {
    expect((await http('GET', `${runtime.proxy}/orders/1`)).status).toBe(200);

    // What a newer controller would send: the same API with a field from a later schema.
    const newer = { ...orders, upstream: { ...orders.upstream, timeouts: { ...orders.upstream.timeouts, futureMs: 5 } } };
    cache.set(buildSnapshot(2, 1, [resourceOf('orders', newer, 2)]));

    const nack = await withOutput(runtime.proc, waitFor('the runtime NACKs version 2', () => nacks.find((n) => n.version === 2), { timeoutMs: 15_000 }));
    expect(nack.code).toBe('GW_SNAPSHOT_UNSUPPORTED');
    expect(nack.message).toContain('upstream.timeouts.futureMs');
    expect(nack.message).toContain('not known to this runtime');

    // Nothing of version 2 applied: the last good config keeps serving.
    const config = await runtimeConfig(runtime);
    expect(config).toMatchObject({ version: 1, source: 'controller' });
    expect((await http('GET', `${runtime.proxy}/orders/2`)).status).toBe(200);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/1', '/2']);

    // The operator sees it in the runtime's log and metrics, with the stable code.
    const rejected = logRecords(runtime.proc).find((r) => r.msg === 'config rejected');
    expect(rejected).toMatchObject({ level: 'warn', version: 2, code: 'GW_SNAPSHOT_UNSUPPORTED' });
    const metrics = (await http('GET', `${runtime.admin}/metrics`)).body;
    expect(metrics).toMatch(/gateway_runtime_config_nacks_total\{code="GW_SNAPSHOT_UNSUPPORTED"\} 1/);
  });

  it('applies a resource from an older controller that leaves a field out, with this runtime’s default for it', async () => {
    // An older schema had neither stripBasePath nor policies; both take this runtime's defaults.
    const { stripBasePath: _strip, policies: _policies, ...older } = { ...orders, basePath: '/legacy' };
    cache.set(buildSnapshot(3, 1, [resourceOf('orders', older, 3)]));
    await waitRuntimeVersion(runtime, 3);
    const res = await http('GET', `${runtime.proxy}/legacy/7`, { headers: { 'x-consumer-id': 'spoofed' } });
    expect(res.status).toBe(200);
    // stripBasePath defaulted to true; the default consumer header is still stripped.
    expect(upstream.requests.at(-1)).toMatchObject({ url: '/7' });
    expect(upstream.requests.at(-1)!.headers['x-consumer-id']).toBeUndefined();
    expect(nacks.filter((n) => n.version === 3)).toEqual([]);
  });
});
