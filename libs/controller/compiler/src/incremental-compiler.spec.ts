import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredApi } from './compile-api.js';
import { compileSnapshot, type CompileResult } from './compile-snapshot.js';
import { IncrementalCompiler, type DesiredStateChange } from './incremental-compiler.js';

/**
 * The database as the store keeps it: one row per API, a revision per name that never
 * repeats (a re-created API continues its history), one version bumped per write
 * transaction and an epoch bumped by a restore.
 */
class ModelDatabase {
  readonly rows = new Map<string, DesiredApi>();
  readonly #lastRevision = new Map<string, number>();
  version = 0;
  epoch = 1;

  write(puts: readonly ApiDefinition[], deletes: readonly string[]): void {
    let wrote = false;
    for (const definition of puts) {
      const revision = (this.#lastRevision.get(definition.name) ?? 0) + 1;
      this.#lastRevision.set(definition.name, revision);
      this.rows.set(definition.name, { definition, revision });
      wrote = true;
    }
    for (const name of deletes) {
      if (!this.rows.delete(name)) continue;
      // The tombstone takes a revision too.
      this.#lastRevision.set(name, (this.#lastRevision.get(name) ?? 0) + 1);
      wrote = true;
    }
    if (wrote) this.version++;
  }

  /** What the store's delta read answers: rows whose revision differs from the known one, and names gone. */
  changeSince(known: ReadonlyMap<string, number>): DesiredStateChange {
    const changed = [...this.rows.values()].filter((api) => known.get(api.definition.name) !== api.revision);
    const removed = [...known.keys()].filter((name) => !this.rows.has(name));
    return { version: this.version, epoch: this.epoch, changed, removed };
  }
}

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

/**
 * A stored definition drawn from small pools, so route claims collide often (same base
 * path, any host or a shared host), plus definitions the schema no longer accepts.
 */
const definition = fc
  .record({
    name: fc.constantFrom(...NAMES),
    basePath: fc.constantFrom('/x', '/y', '/z', '/u', '/v', '/w'),
    hosts: fc.uniqueArray(fc.constantFrom('one.example.com', 'two.example.com'), { maxLength: 2 }),
    target: fc.constantFrom('http://10.0.0.7:8080', 'http://10.0.0.8:8080'),
    broken: fc.nat(9),
  })
  .map(({ name, basePath, hosts, target, broken }): ApiDefinition => {
    const api = plainApi(name, basePath, [target], { hosts });
    // One in ten: a row written under an older schema that no longer validates.
    return broken === 0 ? ({ ...api, basePath: 'no-leading-slash' } as ApiDefinition) : api;
  });

type Step =
  | { kind: 'write'; puts: ApiDefinition[]; deletes: string[] }
  | { kind: 'epoch' }
  | { kind: 'refresh'; order: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), puts: fc.array(definition, { maxLength: 3 }), deletes: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'epoch' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('refresh' as const), order: fc.nat() }) },
);

/** Deterministic reordering by a seed: changes must not depend on the order they arrive in. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The refresher's policy (apps/controller/src/snapshot-refresher.ts): a delta, or the full path when it cannot apply. */
function refresh(compiler: IncrementalCompiler, db: ModelDatabase, seed: number): { result: CompileResult; full: boolean } {
  const change = db.changeSince(compiler.known());
  const applied = compiler.apply({ ...change, changed: shuffled(change.changed, seed), removed: shuffled(change.removed, seed + 1) });
  if (applied !== undefined) return { result: applied, full: false };
  return { result: compiler.reset({ version: db.version, epoch: db.epoch, apis: shuffled([...db.rows.values()], seed + 2) }), full: true };
}

describe('IncrementalCompiler', () => {
  it('after any sequence of puts, deletes and epoch bumps, equals a full compile of the same state (snapshot, hash, problems)', () => {
    let deltas = 0;
    const paths = { local: 0, rechecked: 0 };
    const problemKinds = new Set<string>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const db = new ModelDatabase();
        const compiler = new IncrementalCompiler();
        // A replica that refreshes only at the end: one big delta over the same history.
        const late = new IncrementalCompiler();
        refresh(late, db, 7);
        // A replica that refreshes after every step.
        const eager = new IncrementalCompiler();
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'write') db.write(s.puts, s.deletes);
          else if (s.kind === 'epoch') db.epoch++;
          const now = compileSnapshot({ version: db.version, epoch: db.epoch, apis: [...db.rows.values()] });
          expect(JSON.stringify(refresh(eager, db, i).result)).toBe(JSON.stringify(now));
          if (s.kind === 'refresh') {
            const { result, full } = refresh(compiler, db, s.order);
            if (!full) deltas++;
            expect(JSON.stringify(result)).toBe(JSON.stringify(now));
            for (const p of now.problems) problemKinds.add(p.message.split(' ')[0]!);
          }
        }
        const reference = compileSnapshot({ version: db.version, epoch: db.epoch, apis: [...db.rows.values()] });
        expect(JSON.stringify(refresh(compiler, db, 3).result)).toBe(JSON.stringify(reference));
        expect(JSON.stringify(refresh(late, db, 5).result)).toBe(JSON.stringify(reference));
        paths.local += compiler.stats.local;
        paths.rechecked += compiler.stats.rechecked;
      }),
      { numRuns: 300 },
    );
    // The property exercised the incremental path, not only the full one, and both ways of keeping route claims.
    expect(deltas).toBeGreaterThan(100);
    expect(paths.local).toBeGreaterThan(50);
    expect(paths.rechecked).toBeGreaterThan(50);
    // ...and states with both kinds of problem: invalid rows and route claims taken.
    expect([...problemKinds].sort()).toEqual(['route', 'stored']);
  });

  it('equals the full compile after a change of many APIs at once (an apply), with and without shared routes', () => {
    for (const shared of [false, true]) {
      const path = (i: number) => (shared ? `/p${i % 7}` : `/p${i}`);
      const v1 = Array.from({ length: 150 }, (_, i) => ({ definition: plainApi(`api-${i}`, path(i), ['http://10.0.0.7:8080']), revision: 1 }));
      const compiler = new IncrementalCompiler();
      compiler.reset({ version: 1, epoch: 1, apis: v1 });
      // 80 changed, 30 removed, 90 new.
      const changed = [
        ...v1.slice(0, 80).map((a, i) => ({ definition: plainApi(a.definition.name, path(i), ['http://10.0.0.8:8080']), revision: 2 })),
        ...Array.from({ length: 90 }, (_, k) => ({ definition: plainApi(`new-${k}`, path(1000 + k), ['http://10.0.0.7:8080']), revision: 1 })),
      ];
      const removed = v1.slice(120).map((a) => a.definition.name);
      const result = compiler.apply({ version: 2, epoch: 1, changed: shuffled(changed, 11), removed: shuffled(removed, 12) })!;
      const state = [...changed, ...v1.slice(80, 120)];
      expect(JSON.stringify(result)).toBe(JSON.stringify(compileSnapshot({ version: 2, epoch: 1, apis: state })));
      expect(compiler.stats).toEqual(shared ? { full: 1, rechecked: 1, local: 0 } : { full: 1, rechecked: 0, local: 1 });
    }
  });

  it('recompiles only the APIs a change names and keeps the others as compiled', () => {
    const compiler = new IncrementalCompiler();
    const apis = ['a', 'b', 'c'].map((name) => ({ definition: plainApi(name, `/${name}`, ['http://10.0.0.7:8080']), revision: 1 }));
    const first = compiler.reset({ version: 3, epoch: 1, apis });
    const second = compiler.apply({ version: 4, epoch: 1, changed: [{ definition: plainApi('b', '/b', ['http://10.0.0.8:8080']), revision: 2 }], removed: [] })!;
    expect(second.snapshot.resources[0]).toBe(first.snapshot.resources[0]);
    expect(second.snapshot.resources[2]).toBe(first.snapshot.resources[2]);
    expect(second.snapshot.resources[1]).not.toBe(first.snapshot.resources[1]);
    expect(compiler.known()).toEqual(new Map([['a', 1], ['b', 2], ['c', 1]]));
    expect(compiler.stats).toEqual({ full: 1, rechecked: 0, local: 1 });
  });

  it('moves a route to the next API in name order when its owner is deleted', () => {
    const compiler = new IncrementalCompiler();
    const a = { definition: plainApi('a', '/shared', ['http://10.0.0.7:8080']), revision: 1 };
    const b = { definition: plainApi('b', '/shared', ['http://10.0.0.7:8080']), revision: 1 };
    expect(compiler.reset({ version: 2, epoch: 1, apis: [b, a] }).problems).toEqual([{ api: 'b', message: 'route any host/shared is already served by API "a"' }]);
    const after = compiler.apply({ version: 3, epoch: 1, changed: [], removed: ['a'] })!;
    expect(after.snapshot.resources.map((r) => r.name)).toEqual(['b']);
    expect(after.problems).toEqual([]);
    expect(compiler.stats).toEqual({ full: 1, rechecked: 1, local: 0 });
  });

  it('asks for the full path when it holds nothing or the epoch changed', () => {
    const compiler = new IncrementalCompiler();
    expect(compiler.apply({ version: 1, epoch: 1, changed: [], removed: [] })).toBeUndefined();
    compiler.reset({ version: 1, epoch: 1, apis: [] });
    expect(compiler.apply({ version: 2, epoch: 2, changed: [], removed: [] })).toBeUndefined();
    expect(compiler.apply({ version: 2, epoch: 1, changed: [], removed: [] })?.snapshot.version).toBe(2);
  });
});
