import fs from 'node:fs';
import path from 'node:path';
import { ConfigCache, CACHE_FILE_NAME, CACHE_LOG_NAME, DECODED_FILE_NAME, loadDecodedDefinitions, saveSnapshot, writeDecodedDefinitions } from '@gw/last-known-good';
import { compactDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { API_RESOURCE_TYPE, buildSnapshot, canonicalJson, contentHash, type ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { silentLogger } from '@gw/logging';
import { RuntimeState, decodeDefinitions } from '@gw/runtime-config';
import { testServices } from '@gw/runtime-config/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirs, waitFor } from '@gw/test-kit';
import { DecodedDefinitions, bootFromCache, reportedState, saveAppliedSnapshot } from './config-cache-wiring.js';
import { schemaFingerprint } from './schema-fingerprint.js';

function snap(version: number, names = ['orders']): ConfigSnapshot {
  return snapshotOf(
    names.map((name) => plainApi(name, `/${name}`, ['http://127.0.0.1:8080'])),
    version,
  );
}

function newState(maxApis = 100): RuntimeState {
  return new RuntimeState({ maxApis, services: testServices() });
}

const dirs = tempDirs('gw-runtime-cache-');
afterEach(() => dirs.removeAll());

describe('runtime config cache wiring', () => {
  it('boots from a sound cache file: ready at once, source cache, savedAt from the file', async () => {
    const dir = dirs.make();
    const savedAt = new Date('2025-03-04T05:06:07.000Z');
    await saveSnapshot(dir, snap(7), { controllerId: 'ctl-1', savedAt });
    const state = newState();
    const cache = new ConfigCache({ dir });
    await bootFromCache(cache, state, silentLogger);
    expect(state.applied).toMatchObject({ version: 7, source: 'cache', savedAt, controllerId: 'ctl-1' });
    expect(state.getConfig()!.table.match('GET', undefined, '/orders/1')).toMatchObject({ kind: 'route', api: { name: 'orders' } });
    expect(cache.report()).toMatchObject({ status: 'ok', version: 7, boot: { status: 'loaded' } });
  });

  it('stays without a config for a missing, corrupt or refused file', async () => {
    const missing = newState();
    await bootFromCache(new ConfigCache({ dir: dirs.make() }), missing, silentLogger);
    expect(missing.getConfig()).toBeUndefined();

    const dir = dirs.make();
    const { path: file } = await saveSnapshot(dir, snap(7), { controllerId: 'ctl-1' });
    fs.truncateSync(file, 50);
    const corrupt = newState();
    const corruptCache = new ConfigCache({ dir });
    await bootFromCache(corruptCache, corrupt, silentLogger);
    expect(corrupt.getConfig()).toBeUndefined();
    expect(corruptCache.report()).toMatchObject({ status: 'corrupt', boot: { status: 'corrupt', reason: expect.any(String) } });

    const big = dirs.make();
    await saveSnapshot(big, snap(2, ['a', 'b', 'c']), { controllerId: 'ctl-1' });
    const small = newState(2);
    const refusedCache = new ConfigCache({ dir: big });
    await bootFromCache(refusedCache, small, silentLogger);
    expect(small.getConfig()).toBeUndefined();
    expect(refusedCache.report().boot).toMatchObject({ status: 'refused', reason: expect.stringContaining('GW_SNAPSHOT_OVER_CAPACITY') });
  });

  it('reports an empty hash while serving from the cache so a controller re-sends (confirms) it', async () => {
    expect(reportedState(undefined)).toBeUndefined();
    const state = newState();
    state.apply(snap(3), 'cache', { savedAt: new Date() });
    expect(reportedState(state.applied)).toEqual({ version: 3, epoch: 1, hash: '' });
    state.apply(snap(3), 'controller', { controllerId: 'ctl-1' });
    expect(reportedState(state.applied)).toEqual({ version: 3, epoch: 1, hash: snap(3).hash });
  });

  it('saves what a controller delivered only when the state runs it and the file does not hold it yet', async () => {
    const dir = dirs.make();
    await saveSnapshot(dir, snap(3), { controllerId: 'ctl-1' });
    const state = newState();
    const cache = new ConfigCache({ dir });
    await bootFromCache(cache, state, silentLogger);
    const file = path.join(dir, CACHE_FILE_NAME);
    const before = fs.readFileSync(file);

    // The controller confirms the cached snapshot: no rebuild, no write.
    state.apply(snap(3), 'controller', { controllerId: 'ctl-2' });
    await saveAppliedSnapshot(cache, state, snap(3), 'ctl-2');
    expect(fs.readFileSync(file)).toEqual(before);
    expect(cache.report().writes).toBe(0);

    // A lagging replica's older version of the same content changes nothing: no write.
    state.apply(snap(2), 'controller', { controllerId: 'ctl-3' });
    await saveAppliedSnapshot(cache, state, snap(2), 'ctl-3');
    expect(cache.report()).toMatchObject({ writes: 0, version: 3 });

    // A new version is written before the caller ACKs.
    state.apply(snap(4, ['orders', 'users']), 'controller', { controllerId: 'ctl-2' });
    await saveAppliedSnapshot(cache, state, snap(4, ['orders', 'users']), 'ctl-2');
    expect(cache.report()).toMatchObject({ writes: 1, version: 4, controllerId: 'ctl-2' });
    const reloaded = newState();
    await bootFromCache(new ConfigCache({ dir }), reloaded, silentLogger);
    expect(reloaded.applied).toMatchObject({ version: 4, source: 'cache', apis: 2 });
  });

  it('writes a single-API change on top of many APIs as one small log record, and boots from base + log', async () => {
    const dir = dirs.make();
    const names = Array.from({ length: 40 }, (_, i) => `api-${String(i).padStart(2, '0')}`);
    const state = newState();
    const cache = new ConfigCache({ dir });
    await cache.load();
    const first = snap(1, names);
    state.apply(first, 'controller', { controllerId: 'ctl-1' });
    await saveAppliedSnapshot(cache, state, first, 'ctl-1');
    const baseBytes = fs.statSync(path.join(dir, CACHE_FILE_NAME)).size;

    // One API changes; the controller sends the whole state (as the config client builds it).
    const changed = snapshotOf(
      names.map((name) => plainApi(name, `/${name}`, [name === 'api-07' ? 'http://127.0.0.1:9090' : 'http://127.0.0.1:8080'])),
      2,
    );
    state.apply(changed, 'controller', { controllerId: 'ctl-1' });
    await saveAppliedSnapshot(cache, state, changed, 'ctl-1');
    expect(cache.report()).toMatchObject({ status: 'ok', version: 2, writes: 2, compactions: 1, log: { records: 1 } });
    expect(fs.statSync(path.join(dir, CACHE_FILE_NAME)).size).toBe(baseBytes);
    const log = fs.readFileSync(path.join(dir, CACHE_LOG_NAME), 'utf8');
    expect(log.length).toBeLessThan(baseBytes / 10);
    expect(JSON.parse(log.slice(65)).put.map((r: { name: string }) => r.name)).toEqual(['api-07']);

    const reloaded = newState();
    await bootFromCache(new ConfigCache({ dir }), reloaded, silentLogger);
    expect(reloaded.applied).toMatchObject({ version: 2, hash: changed.hash, source: 'cache', apis: 40 });
    expect(reloaded.getConfig()!.apis.get('api-07')!.upstream.targets[0]!.origin).toBe('http://127.0.0.1:9090');
  });

  describe('decoded definitions', () => {
    it('are written after a boot that decoded in full (at the latest when it stops), reused by the next boot, and follow each new base file', async () => {
      const dir = dirs.make();
      await saveSnapshot(dir, snap(7, ['a', 'b']), { controllerId: 'ctl-1' });
      // A runtime stopped before its write was due writes at shutdown.
      const first = new DecodedDefinitions(dir, silentLogger, 60_000);
      const state = newState();
      await bootFromCache(new ConfigCache({ dir }), state, silentLogger, first);
      expect(first.writes).toBe(0);
      await first.stop();
      expect(first.writes).toBe(1);
      const config = state.getConfig()!;
      const file = await loadDecodedDefinitions(dir, schemaFingerprint());
      if (!file.ok) throw new Error(file.reason);
      // Each block the definitions share is written once (shared-blocks.ts): fewer blocks than the definitions hold.
      expect(file.blocks.length).toBeGreaterThan(0);
      expect([...decodeDefinitions(file.blocks, file.definitions)]).toEqual([...config.apis.values()].map((api) => [api.hash, JSON.parse(JSON.stringify(api.definition))]));

      // The next boot takes them and, covered in full, writes nothing.
      const second = new DecodedDefinitions(dir, silentLogger, 0);
      const again = newState();
      await bootFromCache(new ConfigCache({ dir }), again, silentLogger, second);
      expect(again.getConfig()!.apis.get('a')!.definition).toStrictEqual(config.apis.get('a')!.definition);
      await second.stop();
      expect(second.writes).toBe(0);

      // A controller's snapshot: the first save of a fresh cache is a new base file, and the decoded definitions follow it.
      const fresh = dirs.make();
      const decoded = new DecodedDefinitions(fresh, silentLogger, 0);
      const running = newState();
      // As the runtime wires it: each base file the cache writes, the decoded definitions follow.
      const cache = new ConfigCache({ dir: fresh, onBaseWritten: () => decoded.refresh(running.getConfig()) });
      running.apply(snap(8, ['a', 'b', 'c']), 'controller', { controllerId: 'ctl-1' });
      await saveAppliedSnapshot(cache, running, snap(8, ['a', 'b', 'c']), 'ctl-1');
      await waitFor('the decoded definitions written', () => decoded.writes >= 1, { timeoutMs: 10_000 });
      const written = await loadDecodedDefinitions(fresh, schemaFingerprint());
      expect(written.ok && written.definitions.size).toBe(3);
      await decoded.stop();
    });

    it('are trusted only whole and from this build: otherwise every definition is decoded in full, and an invalid one refused', async () => {
      // A cached resource this build refuses (an unknown field), its hash correct: only decoding it refuses it.
      const valid = plainApi('orders', '/orders', ['http://127.0.0.1:8080']);
      const text = canonicalJson({ ...compactDefinition(valid), futureField: true });
      const snapshot = buildSnapshot(4, 1, [{ type: API_RESOURCE_TYPE, name: 'orders', version: 1, hash: contentHash(text), content: text }]);
      const boot = async (fingerprint: string, damage?: (file: string) => void, entry: unknown = valid) => {
        const dir = dirs.make();
        await saveSnapshot(dir, snapshot, { controllerId: 'ctl-1' });
        await writeDecodedDefinitions(dir, fingerprint, [[snapshot.resources[0]!.hash, entry]]);
        damage?.(path.join(dir, DECODED_FILE_NAME));
        const state = newState();
        const cache = new ConfigCache({ dir });
        const decoded = new DecodedDefinitions(dir, silentLogger, 0);
        await bootFromCache(cache, state, silentLogger, decoded);
        await decoded.stop();
        return { state, cache };
      };
      // Written by another build (an upgrade): decoded in full, refused.
      const other = await boot('sha256:another-build');
      expect(other.state.getConfig()).toBeUndefined();
      expect(other.cache.report().boot).toMatchObject({ status: 'refused', reason: expect.stringContaining('GW_SNAPSHOT_UNSUPPORTED') });
      // This build's file, damaged: decoded in full, refused.
      const damaged = await boot(schemaFingerprint(), (file) => fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('127.0.0.1', '127.0.0.2')));
      expect(damaged.state.getConfig()).toBeUndefined();
      expect(damaged.cache.report().boot).toMatchObject({ status: 'refused', reason: expect.stringContaining('GW_SNAPSHOT_UNSUPPORTED') });
      // This build's intact file whose definition refers to a block it does not hold: decoded in full, refused.
      const dangling = await boot(schemaFingerprint(), undefined, { ...valid, upstream: { '\u0000': 0 } });
      expect(dangling.state.getConfig()).toBeUndefined();
      expect(dangling.cache.report().boot).toMatchObject({ status: 'refused', reason: expect.stringContaining('GW_SNAPSHOT_UNSUPPORTED') });
      // This build's intact file stands in for the decode (what this build decoded from this very content).
      const trusted = await boot(schemaFingerprint());
      expect(trusted.state.getConfig()!.apis.get('orders')!.definition).toStrictEqual(valid);
    });
  });
});
