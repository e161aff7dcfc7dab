// Delta streaming (issue 13, modelled on Envoy's incremental xDS).
// In process, real gRPC: ConfigServers and a ConfigClient in delta mode, driven by random
// sequences of puts, deletes, epoch bumps, NACKs, controller failovers and runtime restarts
// from the disk cache (fast-check); after each step the runtime runs exactly the
// controller's snapshot, or, after a NACK, still its last good one.
// Across processes, real PostgreSQL: a single-API deploy sends one resource; a runtime
// restarted from its cache receives only what changed while it was down; a runtime with
// CONFIG_STREAM_MODE=full still gets whole states; a runtime failing over to another
// controller replica is sent nothing (hashes agree), then one resource per change.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { plainApi } from '@gw/api-schema/testing';
import { ConfigClient, type ConfigStreamMode } from '@gw/config-client';
import { verifySnapshot, type ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { ConfigServer, type SentResponse } from '@gw/config-server';
import { SnapshotCache } from '@gw/snapshot-cache';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { freePort, metricSample, waitFor } from '@gw/test-kit';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  putApi,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  runtimeConfig,
  waitControllerReady,
  waitRuntimeOn,
  waitRuntimeVersion,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { stopAll } from './support/processes.js';
import { scrape } from './support/prometheus.js';

/** A runtime stand-in with a disk cache of one snapshot: what it runs, and whether that came from the cache. */
class Runtime {
  runs: ConfigSnapshot | undefined;
  fromCache = false;
  rejectNext = false;
  client: ConfigClient | undefined;

  constructor(
    private readonly addresses: string[],
    private readonly mode: ConfigStreamMode = 'delta',
  ) {}

  start(): void {
    this.client = new ConfigClient({
      addresses: this.addresses,
      node: { id: 'rt-1', zone: 'a' },
      mode: this.mode,
      held: this.runs,
      // As the real runtime reports a cache-served state: its version with an empty hash.
      applied: () => (this.runs ? { version: this.runs.version, epoch: this.runs.epoch, hash: this.fromCache ? '' : this.runs.hash } : undefined),
      apply: (snapshot) => {
        if (this.rejectNext) {
          this.rejectNext = false;
          return { ok: false, code: 'GW_SNAPSHOT_INVALID', message: 'refused by the spec' };
        }
        const verdict = verifySnapshot(snapshot);
        if (!verdict.ok) return verdict;
        this.runs = snapshot;
        this.fromCache = false;
        return { ok: true };
      },
      backoff: { initialMs: 20, maxMs: 100 },
      preferredRetryMs: 0,
    });
    this.client.start();
  }

  /** A restart: the process goes away and comes back serving its cached snapshot. */
  async restart(): Promise<void> {
    await this.client?.stop();
    this.fromCache = this.runs !== undefined;
    this.start();
  }
}

class Replica {
  server!: ConfigServer;
  cache!: SnapshotCache;
  sent: SentResponse[] = [];
  constructor(
    readonly id: string,
    readonly port: number,
  ) {}

  async start(current: ConfigSnapshot | undefined): Promise<void> {
    this.cache = new SnapshotCache();
    if (current) this.cache.set(current);
    this.server = new ConfigServer({ cache: this.cache, controllerId: this.id, zone: 'a', callbacks: { onResponseSent: (_s, r) => this.sent.push(r) } });
    await this.server.listen(`127.0.0.1:${this.port}`);
  }
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];
type Op =
  | { kind: 'put'; name: string; target: number; nack: boolean }
  | { kind: 'delete'; name: string }
  | { kind: 'epoch'; name: string; target: number }
  | { kind: 'failover' }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), name: fc.constantFrom(...NAMES), target: fc.integer({ min: 1, max: 4 }), nack: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('epoch' as const), name: fc.constantFrom(...NAMES), target: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failover' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
);

function compile(model: Map<string, number>, version: number, epoch: number): ConfigSnapshot {
  return snapshotOf(
    [...model].map(([name, target]) => plainApi(name, `/${name}`, [`http://10.0.0.${target}:8080`])),
    version,
    epoch,
  );
}

const stopping: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stopping.splice(0).reverse()) await stop();
});

describe('delta stream, in process', () => {
  it('a delta-mode runtime receives one resource for a one-API change and rebuilds the whole state', async () => {
    const replica = new Replica('ctl-1', await freePort());
    const v1 = compile(new Map(NAMES.map((n) => [n, 1])), 1, 1);
    await replica.start(v1);
    stopping.push(() => replica.server.close(200));
    const rt = new Runtime([`127.0.0.1:${replica.port}`]);
    rt.start();
    stopping.push(async () => rt.client?.stop());
    await waitFor('v1', () => rt.runs?.hash === v1.hash);
    const v2 = compile(new Map(NAMES.map((n) => [n, n === 'c' ? 2 : 1])), 2, 1);
    replica.cache.set(v2);
    await waitFor('v2', () => rt.runs?.version === 2);
    expect(rt.runs).toEqual(v2);
    expect(rt.client!.received).toEqual({ full: 1, delta: 1, resources: NAMES.length + 1, removed: 0 });
    expect(replica.sent.map((s) => [s.mode, s.resources])).toEqual([
      ['full', NAMES.length],
      ['delta', 1],
    ]);
  });

  it('after random puts, deletes, NACKs, epoch bumps, failovers and restarts the runtime runs the controller snapshot (or its last good one after a NACK)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const replicas = [new Replica('ctl-a', await freePort()), new Replica('ctl-b', await freePort())];
        const model = new Map<string, number>([['a', 1]]);
        let version = 1;
        let epoch = 1;
        let current = compile(model, version, epoch);
        for (const r of replicas) await r.start(current);
        const rt = new Runtime(replicas.map((r) => `127.0.0.1:${r.port}`));
        rt.start();
        const inSync = (expected: ConfigSnapshot) => rt.runs?.hash === expected.hash && rt.runs.version === expected.version && !rt.fromCache;
        // While the newest version is NACKed: the last good state the runtime keeps (no replica that remembers the NACK resends it).
        let pending: ConfigSnapshot | undefined;
        // Replicas that remember the pending NACK (a restarted replica remembers nothing).
        const remembering = new Set<string>();
        /** After a reconnect while a NACK is pending: a replica that remembers it sends nothing; any other sends the newest version. */
        const settle = async (connectsBefore: number) => {
          await waitFor('reconnected', () => rt.client!.status.connected && rt.client!.status.connects > connectsBefore, { timeoutMs: 10_000 });
          if (remembering.has(rt.client!.status.controllerId!)) {
            expect(rt.runs?.hash).toBe(pending!.hash);
            return;
          }
          await waitFor(`the runtime at v${current.version} from a replica without the NACK`, () => inSync(current), { timeoutMs: 10_000 });
          pending = undefined;
        };
        try {
          await waitFor('the first state', () => inSync(current), { timeoutMs: 10_000 });
          for (const step of ops) {
            if (step.kind === 'put' || step.kind === 'delete' || step.kind === 'epoch') {
              if (step.kind === 'delete') model.delete(step.name);
              else model.set(step.name, step.target);
              if (step.kind === 'epoch') epoch++;
              const nack = step.kind === 'put' && step.nack;
              rt.rejectNext = nack;
              const good = rt.runs;
              current = compile(model, ++version, epoch);
              for (const r of replicas) r.cache.set(current);
              if (nack) {
                await waitFor(`the NACK of v${version}`, () => !rt.rejectNext, { timeoutMs: 10_000 });
                // The last good state stays, whole and untouched.
                expect(rt.runs).toBe(good);
                pending = good;
                remembering.clear();
                remembering.add(rt.client!.status.controllerId!);
                continue;
              }
              pending = undefined;
            } else if (step.kind === 'failover') {
              // The replica the runtime is on dies; it comes back (knowing nothing of the runtime) on the same address.
              const on = replicas.find((r) => r.id === rt.client!.status.controllerId) ?? replicas[0]!;
              const connects = rt.client!.status.connects;
              await on.server.close(200);
              remembering.delete(on.id);
              await on.start(current);
              if (pending) {
                await settle(connects);
                continue;
              }
            } else {
              await rt.restart();
              if (pending) {
                await settle(0);
                continue;
              }
            }
            await waitFor(`${step.kind}: the runtime at v${current.version} (epoch ${current.epoch})`, () => inSync(current), { timeoutMs: 10_000 });
            expect(rt.runs!.resources).toEqual(current.resources);
          }
        } finally {
          await rt.client?.stop();
          for (const r of replicas) await r.server.close(200);
        }
        // Deltas did the work: whole states only on first contact, for each epoch, or where every resource changed.
        const sent = replicas.flatMap((r) => r.sent);
        const because = (why: string) => sent.filter((x) => x.fullBecause === why).length;
        const shown = JSON.stringify(replicas.map((r) => [r.id, r.sent.map((x) => `${x.mode}${x.fullBecause ? `(${x.fullBecause})` : ''} v${x.version}e${x.epoch} ${x.resources}`)]));
        expect(because('unknown-base'), shown).toBe(1);
        expect(because('epoch'), shown).toBeLessThanOrEqual(ops.filter((o) => o.kind === 'epoch').length);
        expect(because('resync') + because('requested'), shown).toBe(0);
        expect(sent.filter((x) => x.mode === 'full' && !x.fullBecause), shown).toEqual([]);
      }),
      { numRuns: 30, endOnFailure: true },
    );
  });
});

describe('delta stream, across processes', () => {
  let db: TempDatabase;
  let ctl: ControllerProcess;
  let rt: RuntimeProcess;
  let cacheDir: string;
  const TARGET = 'http://127.0.0.1:9';

  beforeAll(async () => {
    db = await createTempDatabase();
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-delta-cache-'));
    ctl = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env: { CHANGE_FEED_POLL_MS: '500' } });
    await waitControllerReady(ctl);
  });

  afterAll(async () => {
    await stopAll();
    await db?.drop();
    if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  async function stream(of: ControllerProcess = ctl): Promise<{ full: number; delta: number; fullResources: number; deltaResources: number; removed: number }> {
    const text = await scrape(of.http);
    const get = (name: string, labels: Record<string, string> = {}) => metricSample(text, name, labels) ?? 0;
    return {
      full: get('gateway_controller_config_stream_responses_total', { mode: 'full' }),
      delta: get('gateway_controller_config_stream_responses_total', { mode: 'delta' }),
      fullResources: get('gateway_controller_config_stream_resources_total', { mode: 'full' }),
      deltaResources: get('gateway_controller_config_stream_resources_total', { mode: 'delta' }),
      removed: get('gateway_controller_config_stream_removed_resources_total'),
    };
  }

  async function deploy(name: string, url = TARGET, via: ControllerProcess = ctl): Promise<number> {
    const res = await putApi(via, name, simpleApi(name, url));
    expect(res.status, res.body).toBeLessThan(300);
    return res.json().configVersion as number;
  }

  function startRuntime(id: string, env: Record<string, string> = {}) {
    return startRuntimeProcess({ id, controllers: ctl.grpc, env: { CONFIG_CACHE_DIR: cacheDir, DRAIN_GRACE_MS: '0', ...env } });
  }

  it('sends one resource for a single-API deploy, and a restarted runtime only what changed while it was down', async () => {
    let version = 0;
    for (let i = 0; i < 20; i++) version = await deploy(`api-${i}`);
    rt = await startRuntime('rt-delta');
    await waitRuntimeVersion(rt, version);
    const first = await stream();
    expect(first).toMatchObject({ full: 1, fullResources: 20, delta: 0 });

    version = await deploy('api-7', 'http://127.0.0.1:10');
    await waitRuntimeVersion(rt, version);
    const single = await stream();
    expect(single).toEqual({ ...first, delta: 1, deltaResources: 1 });

    expect(await rt.proc.stop('SIGTERM', 15_000)).toBe(0);
    await deploy('api-3', 'http://127.0.0.1:11');
    await deploy('api-20');
    const del = await http('DELETE', `${ctl.http}/v1/apis/api-5`, { headers: authHeaders, timeoutMs: 10_000 });
    expect(del.status, del.body).toBe(200);
    version = del.json().configVersion as number;

    rt = await startRuntime('rt-delta');
    const cfg = await waitRuntimeVersion(rt, version);
    expect(cfg.source).toBe('controller');
    // Only what changed while it was down: api-3 changed, api-20 added, api-5 removed.
    const restarted = await stream();
    expect(restarted).toEqual({ ...single, delta: 2, deltaResources: 3, removed: 1 });
    const routed = await http('GET', `${rt.proxy}/api-5/x`, { timeoutMs: 5_000 });
    expect(routed.status).toBe(404);
  });

  it('streams whole states to a runtime with CONFIG_STREAM_MODE=full', async () => {
    const before = await stream();
    const full = await startRuntimeProcess({ id: 'rt-full', controllers: ctl.grpc, env: { CONFIG_STREAM_MODE: 'full', DRAIN_GRACE_MS: '0' } });
    await waitFor('the full-mode runtime at the current version', async () => (await stream()).full === before.full + 1);
    const version = await deploy('api-0', 'http://127.0.0.1:12');
    await waitRuntimeVersion(full, version);
    await waitRuntimeVersion(rt, version);
    const after = await stream();
    // The full-mode runtime: its first state and the deploy, whole; the delta runtime: one resource.
    expect(after.full - before.full).toBe(2);
    expect(after.fullResources - before.fullResources).toBe(40);
    expect(after.delta - before.delta).toBe(1);
    expect(after.deltaResources - before.deltaResources).toBe(1);
  });

  it('resumes with deltas on another controller replica after a failover: nothing re-sent, then one resource', async () => {
    const ctl2 = await startControllerProcess({ id: 'ctl-2', zone: 'b', databaseUrl: db.url, env: { CHANGE_FEED_POLL_MS: '500' } });
    await waitControllerReady(ctl2);
    const moving = await startRuntimeProcess({ id: 'rt-moving', zone: 'a', controllers: `a=${ctl.grpc},b=${ctl2.grpc}`, env: { DRAIN_GRACE_MS: '0', CONTROLLER_PREFERRED_RETRY_MS: '0' } });
    await waitRuntimeOn(moving, 'ctl-1');
    const version = (await runtimeConfig(rt)).version as number;
    await waitRuntimeVersion(moving, version);
    expect(await ctl.proc.stop('SIGTERM', 15_000)).toBe(0);
    await waitRuntimeOn(moving, 'ctl-2');
    // In sync (same state hash on both replicas): the new replica sends nothing at all.
    await waitFor('the stream on ctl-2', async () => metricSample(await scrape(ctl2.http), 'gateway_controller_runtime_streams', { zone: 'a' }) === 1);
    expect(await stream(ctl2)).toMatchObject({ full: 0, delta: 0 });
    // Had it sent a resync first, the deploy below would show as a second response.
    const next = await deploy('api-1', 'http://127.0.0.1:13', ctl2);
    await waitRuntimeVersion(moving, next);
    expect(await stream(ctl2)).toEqual({ full: 0, delta: 1, fullResources: 0, deltaResources: 1, removed: 0 });
  });
});
