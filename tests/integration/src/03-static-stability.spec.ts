// Promise 4, static stability, across real processes: a runtime writes every applied
// snapshot to CONFIG_CACHE_DIR; restarted while every controller and the database are
// down it serves that file at once; a corrupt file (truncated, or altered so that only
// the checksum notices) is refused and the runtime stays not ready (503) until a
// controller is back, which also rewrites the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE_FILE_NAME, loadSnapshot } from '@gw/last-known-good';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@gw/test-kit';
import { http } from './support/http.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';
import { startApp, stopAll, type AppProcess } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const TOKEN = 'test-admin-token-static-stability';
const json = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

let pg: PrivatePostgres;
let upstream: RecordingUpstream;
let cacheDir: string;
let cacheFile: string;
// Fixed ports: a restarted process comes back where the others expect it.
const ctlPorts: { http: number; grpc: number }[] = [];
let proxyPort: number;
let adminPort: number;
const controllers: (AppProcess | undefined)[] = [];
let runtime: AppProcess | undefined;
let deployedVersion: number;
let goodFile: Buffer;

const ctlHttp = (i: number) => `http://127.0.0.1:${ctlPorts[i]!.http}`;
const proxy = (p: string) => `http://127.0.0.1:${proxyPort}${p}`;
const admin = (p: string) => `http://127.0.0.1:${adminPort}${p}`;

function startController(i: number): AppProcess {
  const proc = startApp('controller', `controller-${i}`, {
    DATABASE_URL: pg.url,
    CONTROLLER_ID: `ctl-${i}`,
    ZONE: 'a',
    CONTROLLER_HOST: '127.0.0.1',
    CONTROLLER_HTTP_PORT: String(ctlPorts[i]!.http),
    CONTROLLER_GRPC_PORT: String(ctlPorts[i]!.grpc),
    ADMIN_TOKEN: TOKEN,
    CHANGE_FEED_POLL_MS: '1000',
  });
  controllers[i] = proc;
  return proc;
}

/** Starts the runtime and resolves once its admin listener answers (it listens only after the cache was loaded). */
async function startRuntime(): Promise<AppProcess> {
  runtime = startApp('runtime', 'runtime', {
    RUNTIME_ID: 'rt-static',
    ZONE: 'a',
    CONTROLLER_ADDRESSES: ctlPorts.map((p) => `127.0.0.1:${p.grpc}`).join(','),
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(proxyPort),
    RUNTIME_ADMIN_PORT: String(adminPort),
    CONFIG_CACHE_DIR: cacheDir,
    // This file restarts the runtime often; the load-balancer drain wait is not what it tests.
    DRAIN_GRACE_MS: '0',
  });
  const proc = runtime;
  await waitFor('runtime admin listener', async () => {
    if (proc.child.exitCode !== null) throw new Error(`runtime exited early:\n${proc.output().slice(-2000)}`);
    return (await http('GET', admin('/health/live'))).status === 200;
  });
  return proc;
}

async function stopRuntime(): Promise<void> {
  const code = await runtime!.stop('SIGTERM', 15_000);
  expect(code, `runtime exit code\n${runtime!.output().slice(-2000)}`).toBe(0);
}

async function config(): Promise<any> {
  return (await http('GET', admin('/config'))).json();
}

beforeAll(async () => {
  pg = await startPrivatePostgres();
  upstream = await startRecordingUpstream('A');
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-static-stability-'));
  cacheFile = path.join(cacheDir, CACHE_FILE_NAME);
  for (let i = 0; i < 2; i++) ctlPorts.push({ http: await freePort(), grpc: await freePort() });
  proxyPort = await freePort();
  adminPort = await freePort();
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
  await pg?.destroy();
  if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
});

describe('static stability', () => {
  it('writes every applied snapshot to CONFIG_CACHE_DIR', async () => {
    startController(0);
    startController(1);
    for (let i = 0; i < 2; i++) {
      await waitFor(`controller ${i} ready`, () => http('GET', `${ctlHttp(i)}/health/ready`).then((r) => r.status === 200), { timeoutMs: 30_000 });
    }
    await startRuntime();
    await waitFor('runtime ready', () => http('GET', admin('/health/ready')).then((r) => r.status === 200), { timeoutMs: 20_000 });

    const res = await http('PUT', `${ctlHttp(1)}/v1/apis/orders`, {
      headers: json,
      body: JSON.stringify({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: upstream.url }] } }),
    });
    expect(res.status, res.body).toBe(201);
    deployedVersion = res.json().configVersion;
    const cfg = await waitFor(`runtime at v${deployedVersion} with it cached`, async () => {
      const c = await config();
      return c.version === deployedVersion && c.cache?.version === deployedVersion && c;
    });
    expect(cfg).toMatchObject({ source: 'controller', savedAt: null, cache: { dir: cacheDir, status: 'ok', reason: null, boot: { status: 'missing' } } });
    expect(cfg.cache.writes).toBeGreaterThanOrEqual(1);
    const onDisk = await loadSnapshot(cacheDir);
    expect(onDisk).toMatchObject({ status: 'ok', snapshot: { version: deployedVersion, hash: cfg.hash } });
    expect(['ctl-0', 'ctl-1']).toContain(onDisk.status === 'ok' && onDisk.controllerId);
    expect(fs.readdirSync(cacheDir)).toEqual([CACHE_FILE_NAME]);
    expect((await http('GET', proxy('/orders/42'))).json()).toEqual({ upstream: 'A', method: 'GET', url: '/42' });
    goodFile = fs.readFileSync(cacheFile);
  });

  it('restarted with every controller and the database down, serves the cached config at once', async () => {
    for (const c of controllers) expect(await c!.stop('SIGTERM', 15_000)).toBe(0);
    await pg.stop();
    await stopRuntime();

    await startRuntime();
    // Ready as soon as it listens: the cache was applied before, no controller answered.
    const ready = await http('GET', admin('/health/ready'));
    expect(ready.status, ready.body).toBe(200);
    const before = upstream.requests.length;
    const res = await http('GET', proxy('/orders/42?from=cache'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ upstream: 'A', method: 'GET', url: '/42?from=cache' });
    expect(upstream.requests.length).toBe(before + 1);

    const cfg = await config();
    const onDisk = await loadSnapshot(cacheDir);
    expect(onDisk.status).toBe('ok');
    expect(cfg).toMatchObject({
      version: deployedVersion,
      source: 'cache',
      savedAt: onDisk.status === 'ok' ? onDisk.savedAt.toISOString() : 'n/a',
      ageMs: expect.any(Number),
      controller: { connected: false },
      cache: { status: 'ok', version: deployedVersion, boot: { status: 'loaded', reason: null } },
    });
    // Nothing new was written while no controller answered.
    expect(fs.readFileSync(cacheFile)).toEqual(goodFile);
  });

  const corruptions: [string, (good: Buffer) => Buffer, RegExp][] = [
    ['truncated', (good) => good.subarray(0, Math.floor(good.length / 2)), /truncated/],
    [
      'altered inside the payload, still valid JSON',
      (good) => {
        // Change one digit of the payload's version (the last member): valid JSON, a valid
        // snapshot whose content still matches its hash; only the checksum objects.
        const text = good.toString();
        const m = /"version":(\d+)\}\}\n$/.exec(text)!;
        const at = m.index + '"version":'.length + m[1]!.length - 1;
        const digit = Number(text[at]);
        const altered = Buffer.from(text.slice(0, at) + String((digit + 1) % 10) + text.slice(at + 1));
        expect(JSON.parse(altered.toString()).payload.version).not.toBe(JSON.parse(text).payload.version);
        expect(altered.length).toBe(good.length);
        return altered;
      },
      /checksum mismatch/,
    ],
  ];
  for (const [what, corrupt, reason] of corruptions) {
    it(`refuses a cache file ${what}: not ready, 503 GW_NOT_READY, the reason in /config`, async () => {
      await stopRuntime();
      fs.writeFileSync(cacheFile, corrupt(goodFile));
      const before = upstream.requests.length;
      await startRuntime();

      const ready = await http('GET', admin('/health/ready'));
      expect(ready.status).toBe(503);
      expect(ready.json().reason).toMatch(/config cache corrupt/);
      const res = await http('GET', proxy('/orders/42'));
      expect(res.status).toBe(503);
      expect(res.json()).toMatchObject({ code: 'GW_NOT_READY', requestId: expect.any(String) });
      expect(upstream.requests.length).toBe(before);
      const cfg = await config();
      expect(cfg).toMatchObject({
        version: null,
        source: null,
        cache: { dir: cacheDir, status: 'corrupt', code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringMatching(reason), version: null, boot: { status: 'corrupt' } },
      });
      expect(runtime!.output()).toContain('config cache: file refused');
    });
  }

  it('gets its config from a controller once the database and a controller are back, and rewrites the cache', async () => {
    const corrupt = fs.readFileSync(cacheFile);
    await pg.start();
    startController(0);
    await waitFor('runtime ready from the controller', () => http('GET', admin('/health/ready')).then((r) => r.status === 200), { timeoutMs: 45_000 });
    // The table is swapped (ready) a moment before the write completes; the ACK waits for the write.
    const cfg = await waitFor('cache rewritten', async () => {
      const c = await config();
      return c.cache.status !== 'corrupt' && c;
    });
    expect(cfg).toMatchObject({ version: deployedVersion, source: 'controller', savedAt: null, controller: { connected: true, controllerId: 'ctl-0' } });
    expect(cfg.cache).toMatchObject({ status: 'ok', reason: null, version: deployedVersion, hash: cfg.hash, writes: 1, boot: { status: 'corrupt' } });
    expect(fs.readFileSync(cacheFile)).not.toEqual(corrupt);
    expect(await loadSnapshot(cacheDir)).toMatchObject({ status: 'ok', snapshot: { version: deployedVersion, hash: cfg.hash }, controllerId: 'ctl-0' });
    expect((await http('GET', proxy('/orders/7'))).json()).toEqual({ upstream: 'A', method: 'GET', url: '/7' });
  });

  it('restarted while a controller runs: serves the cache, then the controller confirms it without a rebuild or a write', async () => {
    const file = fs.readFileSync(cacheFile);
    await stopRuntime();
    await startRuntime();
    const first = await config();
    // The controller may already have confirmed it; either way the cache served from the first moment.
    expect(first.cache.boot.status).toBe('loaded');
    expect((await http('GET', admin('/health/ready'))).status).toBe(200);
    const confirmed = await waitFor('source controller', async () => {
      const c = await config();
      return c.source === 'controller' && c;
    });
    expect(confirmed).toMatchObject({ version: deployedVersion, appliedAt: first.appliedAt, savedAt: null, cache: { status: 'ok', writes: 0 } });
    expect(fs.readFileSync(cacheFile)).toEqual(file);
    await stopRuntime();
  });
});
