import { definitionOf, plainApi } from '@gw/api-schema/testing';
import { buildSnapshot, canonicalJson, contentHash, stateHash, type ConfigSnapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { testServices } from './testing/index.js';
import { describe, expect, it } from 'vitest';
import { RuntimeState } from './runtime-state.js';

function snap(version: number, names = ['orders'], epoch = 1, port = 8080): ConfigSnapshot {
  return snapshotOf(
    names.map((name) => plainApi(name, `/${name}`, [`http://127.0.0.1:${port}`])),
    version,
    epoch,
  );
}

function newState(maxApis = Number.POSITIVE_INFINITY): RuntimeState {
  return new RuntimeState({ maxApis, services: testServices() });
}

/** The API `name` of the config in use, where the routing table sends `/name/1`. */
function routed(state: RuntimeState, name: string) {
  const m = state.getConfig()?.table.match('GET', undefined, `/${name}/1`);
  return m?.kind === 'route' ? m.api : undefined;
}

describe('RuntimeState', () => {
  it('swaps to a valid snapshot in one frozen object and keeps the old one for requests in flight', () => {
    const state = newState();
    expect(state.apply(snap(1), 'controller')).toEqual({ ok: true });
    const first = state.getConfig()!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(state.apply(snap(2, ['orders', 'users']), 'controller')).toEqual({ ok: true });
    const second = state.getConfig()!;
    expect(second).not.toBe(first);
    expect(first.table.match('GET', undefined, '/users/1')).toBeUndefined();
    expect(routed(state, 'users')?.name).toBe('users');
    // One object carries everything a request needs: routing, upstream handle, built policies.
    const users = second.apis.get('users')!;
    expect(routed(state, 'users')).toBe(users);
    expect(users.upstream.targets[0]!.origin).toBe('http://127.0.0.1:8080');
    expect(users.policies.passive).toBe(true);
    expect(Object.isFrozen(users.definition.upstream.retries.on)).toBe(true);
  });

  it('keeps the whole API object of an unchanged resource, and builds a changed one anew carrying its upstream state', () => {
    const state = newState();
    const built: string[][] = [];
    state.onSwap((_next, _previous, fresh) => built.push(fresh.map((a) => a.name)));
    state.apply(snap(1, ['orders', 'users']), 'controller');
    const first = state.getConfig()!;
    // Health records are made on first use (a request, a check): use this one.
    expect(first.apis.get('users')!.upstream.health.targets).toHaveLength(1);
    state.apply(snapshotOf([plainApi('orders', '/orders', ['http://127.0.0.1:8080']), plainApi('users', '/users', ['http://127.0.0.1:8080', 'http://127.0.0.1:8081'])], 2), 'controller');
    const second = state.getConfig()!;
    expect(built).toEqual([['orders', 'users'], ['users']]);
    expect(second.apis.get('orders')).toBe(first.apis.get('orders'));
    const [before, after] = [first.apis.get('users')!, second.apis.get('users')!];
    expect(after).not.toBe(before);
    // The target that stayed keeps its health record.
    expect(after.upstream.health.targets[0]).toBe(before.upstream.health.targets[0]);
  });

  it('rejects an invalid snapshot and keeps serving the last good config', () => {
    const state = newState();
    state.apply(snap(1), 'controller');
    const good = state.getConfig();
    const api = { ...plainApi('orders', '/orders', ['http://127.0.0.1:8080']), basePath: 'orders' };
    const content = canonicalJson(api);
    const resource = { type: 'api', name: 'orders', version: 2, hash: contentHash(content), content };
    const verdict = state.apply({ version: 2, epoch: 1, hash: stateHash([resource]), resources: [resource] }, 'controller');
    expect(verdict).toEqual({ ok: false, code: 'GW_SNAPSHOT_INVALID', message: 'api "orders": basePath must start with "/"' });
    expect(state.getConfig()).toBe(good);
    expect(state.applied?.version).toBe(1);
  });

  it('rejects two APIs claiming one route with the claim rule of the API schema', () => {
    const state = newState();
    const verdict = state.apply(snapshotOf([plainApi('a', '/x', ['http://127.0.0.1:1']), plainApi('b', '/x', ['http://127.0.0.1:1'])]), 'controller');
    expect(verdict).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID', message: expect.stringContaining('APIs a and b both claim any host/x') });
    expect(state.getConfig()).toBeUndefined();
  });

  it('rejects content that does not match its announced hash', () => {
    const state = newState();
    const tampered = { ...snap(1), hash: snap(1, ['other']).hash };
    expect(state.apply(tampered, 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    expect(state.getConfig()).toBeUndefined();
  });

  it('does not rebuild for the same content under a newer version', () => {
    const state = newState();
    state.apply(snap(1), 'controller');
    const config = state.getConfig();
    expect(state.apply(snap(5), 'controller')).toEqual({ ok: true });
    expect(state.getConfig()).toBe(config);
    expect(state.applied?.version).toBe(5);
  });

  it('refuses older versions in the same epoch, and older epochs; accepts any version of a newer epoch', () => {
    const state = newState();
    state.apply(snap(7, ['a']), 'controller');
    expect(state.apply(snap(6, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.apply(snap(7, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.apply(snap(9, ['b'], 0), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.applied).toMatchObject({ version: 7, epoch: 1 });
    expect(state.apply(snap(3, ['b'], 2), 'controller')).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 3, epoch: 2 });
  });

  it('serves a snapshot from the cache with the file\'s savedAt', () => {
    const state = newState();
    const savedAt = new Date('2025-01-01T00:00:00.000Z');
    expect(state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache', savedAt, controllerId: 'ctl-1' });
    expect(routed(state, 'orders')?.name).toBe('orders');
  });

  it('a controller confirming the cached content switches the source without rebuilding', () => {
    const state = newState();
    state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt: new Date() });
    const config = state.getConfig();
    const appliedAt = state.applied!.appliedAt;
    expect(state.apply(snap(4), 'controller', { controllerId: 'ctl-2' })).toEqual({ ok: true });
    expect(state.getConfig()).toBe(config);
    expect(state.applied).toMatchObject({ version: 4, source: 'controller', savedAt: undefined, controllerId: 'ctl-2', appliedAt });

    const newer = newState();
    newer.apply(snap(4), 'cache', { savedAt: new Date() });
    const newerConfig = newer.getConfig();
    expect(newer.apply(snap(6), 'controller', { controllerId: 'ctl-1' })).toEqual({ ok: true });
    expect(newer.getConfig()).toBe(newerConfig);
    expect(newer.applied).toMatchObject({ version: 6, source: 'controller', controllerId: 'ctl-1' });
  });

  it('keeps the cache as the source when a lagging controller has the same content under an older version', () => {
    const state = newState();
    state.apply(snap(4), 'cache', { controllerId: 'ctl-1', savedAt: new Date() });
    expect(state.apply(snap(3), 'controller', { controllerId: 'ctl-2' })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache', controllerId: 'ctl-1' });
  });

  it('replaces cached content with newer content from a controller, and refuses older content', () => {
    const state = newState();
    state.apply(snap(4, ['a']), 'cache', { savedAt: new Date() });
    expect(state.apply(snap(3, ['b']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_REGRESSION' });
    expect(state.applied).toMatchObject({ version: 4, source: 'cache' });
    expect(state.apply(snap(5, ['b']), 'controller', { controllerId: 'ctl-1' })).toEqual({ ok: true });
    expect(state.applied).toMatchObject({ version: 5, source: 'controller', savedAt: undefined });
  });

  it('refuses a snapshot with more APIs than it is sized for', () => {
    const state = newState(2);
    expect(state.apply(snap(1, ['a', 'b']), 'controller')).toEqual({ ok: true });
    expect(state.apply(snap(2, ['a', 'b', 'c']), 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_OVER_CAPACITY' });
    expect(state.applied?.version).toBe(1);
  });

  describe('in proportion to the change (issue 13)', () => {
    // Through the real schema: breaker, outlier detection and retries at their defaults.
    const api = (name: string, port = 8080) => definitionOf({ name, basePath: `/${name}`, upstream: { targets: [{ url: `http://127.0.0.1:${port}` }, { url: `http://127.0.0.1:${port + 1}` }] } });

    it('a change to API A keeps API B\'s breaker and health state (its whole API object) and B\'s resource object', () => {
      const state = newState();
      state.apply(snapshotOf([api('a'), api('b')], 1), 'controller');
      const first = state.getConfig()!;
      const b = first.apis.get('b')!;
      // B's upstream has lived a little: its breaker opened, a target was ejected, the balancer moved on.
      for (let i = 0; i < 40; i++) b.upstream.breaker!.record(false);
      expect(b.upstream.breaker!.state).toBe('open');
      b.upstream.health.targets[1]!.ejected = true;

      state.apply(snapshotOf([api('a', 9090), api('b')], 2), 'controller');
      const second = state.getConfig()!;
      expect(second.apis.get('a')).not.toBe(first.apis.get('a'));
      expect(second.apis.get('b')).toBe(b);
      expect(second.apis.get('b')!.upstream.breaker!.state).toBe('open');
      expect(second.apis.get('b')!.upstream.health.targets[1]!.ejected).toBe(true);
      expect(second.snapshot.resources[1]).toBe(first.snapshot.resources[1]);
      expect(routed(state, 'b')).toBe(b);
      expect(routed(state, 'a')?.upstream.targets[0]!.origin).toBe('http://127.0.0.1:9090');
    });

    it('does not hash the content of unchanged resources again, but always checks the state hash', () => {
      const state = newState();
      const one = snapshotOf([api('a'), api('b')], 1);
      state.apply(one, 'controller');
      // B's content is damaged in transit but keeps its announced hash: the runtime runs B
      // as built from the verified content, so nothing of the damage reaches it (or the cache).
      const damagedB = { ...one.resources[1]!, content: '{"not":"verified"}' };
      const changedA = snapshotOf([api('a', 9090)], 2).resources[0]!;
      const two = { version: 2, epoch: 1, hash: stateHash([changedA, damagedB]), resources: [changedA, damagedB] };
      expect(state.apply(two, 'controller')).toEqual({ ok: true });
      expect(state.getConfig()!.snapshot.resources[1]).toBe(one.resources[1]);
      expect(state.getConfig()!.snapshot.resources[1]!.content).not.toContain('verified');
      // A changed resource is hashed; a wrong state hash is refused even when every resource is known.
      const tamperedA = { ...snapshotOf([api('a', 7070)], 3).resources[0]!, hash: changedA.hash };
      expect(state.apply({ version: 3, epoch: 1, hash: stateHash([tamperedA, damagedB]), resources: [tamperedA, damagedB] }, 'controller')).toMatchObject({ ok: true });
      const wrongState = { ...snapshotOf([api('a', 9090), api('b'), api('c')], 4), hash: snapshotOf([api('a', 9090), api('b')], 4).hash.replace(/^./, '0') };
      expect(state.apply(wrongState, 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
      const badContent = snapshotOf([api('a', 9090), api('b'), api('c')], 4);
      const c = { ...badContent.resources[2]!, content: badContent.resources[2]!.content.replace('/c', '/d') };
      expect(state.apply({ ...badContent, resources: [badContent.resources[0]!, badContent.resources[1]!, c] }, 'controller')).toMatchObject({
        ok: false,
        code: 'GW_SNAPSHOT_HASH_MISMATCH',
        message: expect.stringContaining('api "c" hashes to'),
      });
      expect(state.applied?.version).toBe(3);
    });

    it('gives a new revision of the same content a new resource object sharing the content, without a rebuild', () => {
      const state = newState();
      const built: string[][] = [];
      state.onSwap((_n, _p, fresh) => built.push(fresh.map((a) => a.name)));
      state.apply(snapshotOf([api('a'), api('b')], 1), 'controller');
      const first = state.getConfig()!;
      const bumped = buildSnapshot(2, 1, [first.snapshot.resources[0]!, { ...first.snapshot.resources[1]!, version: 7 }, snapshotOf([api('c')], 2).resources[0]!]);
      expect(state.apply(bumped, 'controller')).toEqual({ ok: true });
      const second = state.getConfig()!;
      expect(built).toEqual([['a', 'b'], ['c']]);
      expect(second.apis.get('b')).toMatchObject({ revision: 7, upstream: first.apis.get('b')!.upstream, resource: { version: 7 } });
      expect(second.apis.get('b')!.resource.content).toBe(first.apis.get('b')!.resource.content);
      expect(routed(state, 'b')).toBe(second.apis.get('b'));
      expect(second.snapshot).toMatchObject({ version: 2, hash: bumped.hash });
      expect(second.snapshot.resources.map((r) => `${r.name}@${r.version}`)).toEqual(['a@1', 'b@7', 'c@1']);
      // Removing an API takes it out of the routing table; the others stay as they were.
      state.apply(snapshotOf([api('a'), api('c')], 3), 'controller');
      expect(routed(state, 'b')).toBeUndefined();
      expect(state.getConfig()!.apis.get('a')).toBe(first.apis.get('a'));
      expect(state.getConfig()!.table.size).toBe(2);
    });
  });

  it('applies a snapshot whose content the reader verified without hashing it again, still checking the state hash and every definition', () => {
    const good = snap(1, ['orders', 'users']);
    expect(newState().apply(good, 'cache', { contentVerified: true })).toEqual({ ok: true });
    // The state hash is checked all the same.
    const wrongState = newState().apply({ ...good, hash: '0'.repeat(64) }, 'cache', { contentVerified: true });
    expect(wrongState).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
    // And every definition is decoded and validated all the same.
    const invalidContent = canonicalJson({ ...JSON.parse(good.resources[0]!.content), basePath: 'no-leading-slash' });
    const resources = [{ ...good.resources[0]!, content: invalidContent, hash: contentHash(invalidContent) }, good.resources[1]!];
    const invalid = newState().apply({ ...good, hash: stateHash(resources), resources }, 'cache', { contentVerified: true });
    expect(invalid).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    // Without the flag a content that does not hash to its hash is refused (the reader's check is what the flag stands for).
    const tampered = [{ ...good.resources[0]!, content: invalidContent }, good.resources[1]!];
    expect(newState().apply({ ...good, resources: tampered }, 'controller')).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_HASH_MISMATCH' });
  });
});
