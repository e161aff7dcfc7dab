// The config server's mutual TLS over real gRPC and real certificates (@gw/pki): identity
// checks and the bounds on an authenticated peer.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { loadConfigProto, type ConfigRequest, type ConfigResponse__Output } from '@gw/config-proto';
import { ReloadingTlsFiles } from '@gw/grpc-tls';
import { initCertificateDirectory, issueToDirectory } from '@gw/pki';
import { SnapshotCache } from '@gw/snapshot-cache';
import { tempDirs, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigServer } from './config-server.js';
import type { RuntimeSession } from './runtime-session.js';
import { NACK_CODE_MAX_BYTES, type StreamLimits } from './stream-limits.js';

const dirs = tempDirs('gw-config-server-tls-');
let dir: string;
let serverTls: ReloadingTlsFiles;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  dir = dirs.make();
  await initCertificateDirectory(dir);
  const ctl = await issueToDirectory(dir, { kind: 'controller', id: 'ctl', ipAddresses: ['127.0.0.1'] });
  for (const id of ['rt-1', 'rt-2']) await issueToDirectory(dir, { kind: 'runtime', id });
  serverTls = new ReloadingTlsFiles({ certFile: ctl.cert, keyFile: ctl.key, caFile: ctl.ca });
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  serverTls?.close();
  dirs.removeAll();
});

async function start(limits: Partial<StreamLimits> = {}) {
  const opened: RuntimeSession[] = [];
  const nacks: RuntimeSession[] = [];
  const cache = new SnapshotCache();
  cache.set(snapshotOf([plainApi('orders', '/orders', ['http://10.0.0.1:8080'])], 1));
  const server = new ConfigServer({
    cache,
    controllerId: 'ctl',
    zone: 'a',
    tls: serverTls,
    limits,
    callbacks: { onStreamOpen: (s) => void opened.push({ ...s }), onNack: (s) => void nacks.push({ ...s }) },
  });
  const port = await server.listen('127.0.0.1:0');
  cleanups.push(() => server.close(200));
  return { server, opened, nacks, address: `127.0.0.1:${port}` };
}

function credentialsOf(id: string): grpc.ChannelCredentials {
  const read = (f: string) => readFileSync(`${dir}/${f}`);
  return grpc.credentials.createSsl(read('ca.crt'), read(`runtime-${id}.key`), read(`runtime-${id}.crt`));
}

interface Stream {
  call: grpc.ClientDuplexStream<ConfigRequest, ConfigResponse__Output>;
  responses: ConfigResponse__Output[];
  status: Promise<grpc.status>;
  send(nodeId: string, extra?: Partial<ConfigRequest>): void;
}

function open(address: string, certId: string): Stream {
  const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
  const client = new Ctor(address, credentialsOf(certId));
  const call = client.StreamConfig();
  const responses: ConfigResponse__Output[] = [];
  call.on('data', (r: ConfigResponse__Output) => responses.push(r));
  const status = new Promise<grpc.status>((resolve) => {
    call.on('error', (err: grpc.ServiceError) => resolve(err.code));
    call.on('end', () => resolve(grpc.status.OK));
  });
  cleanups.push(() => {
    call.cancel();
    client.close();
  });
  const send = (nodeId: string, extra: Partial<ConfigRequest> = {}) =>
    call.write({ node: { id: nodeId, zone: 'a' }, versionInfo: 0, epoch: 0, hash: '', responseNonce: '', ...extra });
  return { call, responses, status, send };
}

describe('ConfigServer with mutual TLS', () => {
  it('serves a runtime whose node id is its certificate identity, and records the identity', async () => {
    const { opened, address } = await start();
    const s = open(address, 'rt-1');
    s.send('rt-1');
    await waitFor('a response', () => s.responses.length === 1);
    expect(opened).toMatchObject([{ runtimeId: 'rt-1', identity: 'spiffe://gateway/runtime/rt-1', certificateNotAfter: expect.any(Date) }]);
  });

  it('refuses a stream claiming another runtime id with PERMISSION_DENIED, before any session exists', async () => {
    const { server, opened, address } = await start();
    const s = open(address, 'rt-2');
    s.send('rt-1');
    expect(await s.status).toBe(grpc.status.PERMISSION_DENIED);
    expect(s.responses).toEqual([]);
    expect(opened).toEqual([]);
    expect(server.sessions()).toEqual([]);
  });

  it('refuses a third concurrent stream of one identity with RESOURCE_EXHAUSTED, and accepts one again after a stream ends', async () => {
    const { address } = await start({ maxStreamsPerIdentity: 2 });
    const [a, b] = [open(address, 'rt-1'), open(address, 'rt-1')];
    a.send('rt-1');
    b.send('rt-1');
    await waitFor('both served', () => a.responses.length === 1 && b.responses.length === 1);
    const c = open(address, 'rt-1');
    c.send('rt-1');
    expect(await c.status).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Another identity is not affected.
    const other = open(address, 'rt-2');
    other.send('rt-2');
    await waitFor('rt-2 served', () => other.responses.length === 1);
    a.call.end();
    expect(await a.status).toBe(grpc.status.OK);
    const d = open(address, 'rt-1');
    d.send('rt-1');
    await waitFor('a new stream served once a slot is free', () => d.responses.length === 1);
  });

  it('ends a stream that exceeds its request rate with RESOURCE_EXHAUSTED', async () => {
    const { address } = await start({ requestsPerSecond: 1, requestBurst: 5 });
    const s = open(address, 'rt-1');
    for (let i = 0; i < 20; i++) s.send('rt-1', { responseNonce: `stale-${i}` });
    expect(await s.status).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('cuts a NACK detail message to the bound before it is recorded', async () => {
    const { nacks, address } = await start({ maxNackMessageBytes: 100 });
    const s = open(address, 'rt-1');
    s.send('rt-1');
    await waitFor('a response', () => s.responses.length === 1);
    s.send('rt-1', { responseNonce: s.responses[0]!.nonce, errorDetail: { code: 'GW_X'.repeat(50), message: 'x'.repeat(100_000) } });
    await waitFor('the NACK', () => nacks.length === 1);
    expect(nacks[0]!.lastNack!.message).toHaveLength(100);
    expect(Buffer.byteLength(nacks[0]!.lastNack!.code)).toBe(NACK_CODE_MAX_BYTES);
  });
});
