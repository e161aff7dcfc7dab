import { definitionOf } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { RuntimeState } from './runtime-state.js';
import { SharedValues } from './shared-values.js';
import { testServices } from './testing/index.js';

describe('SharedValues', () => {
  it('gives equal values one deep-frozen copy, leaves large ones unshared but frozen, and never changes its input', () => {
    const shared = new SharedValues();
    const input = { a: { x: 1, list: [1, 2] }, b: { x: 1, list: [1, 2] }, big: { text: 'y'.repeat(600) } };
    const out = shared.share(input);
    expect(out).toEqual(input);
    expect(out.a).toBe(out.b);
    expect(out.a.list).toBe(out.b.list);
    expect(Object.isFrozen(out) && Object.isFrozen(out.a) && Object.isFrozen(out.a.list) && Object.isFrozen(out.big)).toBe(true);
    expect(Object.isFrozen(input.a)).toBe(false);
    expect(shared.share({ x: 1, list: [1, 2] })).toBe(out.a);
    expect(shared.share({ text: 'y'.repeat(600) })).not.toBe(out.big);
    expect(shared.share({ x: 2, list: [1, 2] })).not.toBe(out.a);
  });

  it('keys values by the JSON that JSON.stringify gives them, built once from their parts', () => {
    const shared = new SharedValues();
    const values: unknown[] = [
      { b: 1, a: 'x"y', c: [true, null, 2.5, 'é'], d: undefined, e: { f: [] } },
      [1, undefined, { g: {} }],
      { nested: { deeper: { list: [{ k: 'v' }, { k: 'w' }] } } },
      { text: 'z'.repeat(300), other: { text: 'z'.repeat(300) } },
    ];
    for (const value of values) {
      const out = shared.share(value);
      expect(JSON.stringify(out)).toBe(JSON.stringify(value));
      // A fresh equal value is the shared copy exactly when its JSON is small enough to be a key.
      const again = shared.share(JSON.parse(JSON.stringify(value)) as unknown);
      if (JSON.stringify(value).length <= 512) expect(again).toBe(out);
      else expect(again).not.toBe(out);
    }
    // A large block is not shared, but its small parts are.
    const big = shared.share({ text: 'q'.repeat(600), small: { on: true } });
    expect(shared.share({ on: true })).toBe(big.small);
  });

  it('knows its own output: sharing it again gives it back, keyOf names only shared copies, adopt takes built values in', () => {
    const shared = new SharedValues();
    const out = shared.share({ big: 'b'.repeat(600), small: { on: true } });
    expect(shared.share(out)).toBe(out);
    expect(shared.share(out.small)).toBe(out.small);
    expect(shared.keyOf(out.small)).toBe('{"on":true}');
    expect(shared.keyOf(out)).toBeUndefined();
    // adopt: an equal shared copy wins; a new one becomes the shared copy; a large one is kept, unshared.
    expect(shared.adopt(Object.freeze({ on: true }))).toBe(out.small);
    const fresh = Object.freeze({ off: true });
    expect(shared.adopt(fresh)).toBe(fresh);
    expect(shared.share({ off: true })).toBe(fresh);
    const large = Object.freeze({ text: 'l'.repeat(600) });
    expect(shared.adopt(large)).toBe(large);
    expect(shared.keyOf(large)).toBeUndefined();
    expect(shared.share(large)).toBe(large);
  });

  it('lets APIs of one config share their default blocks and, with the same routes, one router', () => {
    const state = new RuntimeState({ maxApis: 100, services: testServices() });
    const api = (name: string) =>
      definitionOf({ name, basePath: `/${name}`, routes: [{ name: 'get', methods: ['GET'], path: '/items/:id' }], upstream: { targets: [{ url: `http://${name}.internal:8080` }] } });
    expect(state.apply(snapshotOf([api('a'), api('b')]), 'controller')).toEqual({ ok: true });
    const [a, b] = [state.getConfig()!.apis.get('a')!, state.getConfig()!.apis.get('b')!];
    expect(a.definition.upstream.timeouts).toBe(b.definition.upstream.timeouts);
    expect(a.definition.policies).toBe(b.definition.policies);
    expect(a.definition.upstream.targets).not.toBe(b.definition.upstream.targets);
    expect(a.router).toBe(b.router);
    expect(Object.isFrozen(a.definition.upstream.retries.on)).toBe(true);
    expect(state.getConfig()!.table.match('GET', undefined, '/b/items/7')).toMatchObject({ kind: 'route', api: b, routeName: 'get', forwardPath: '/items/7' });
    expect(state.getConfig()!.table.match('POST', undefined, '/a/items/7')).toMatchObject({ kind: 'method-not-allowed', api: a });
  });
});
