import type { ApiDefinition } from '@gw/api-schema';
import { definitions } from '@gw/api-schema/testing/variations';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSharedBlocks, encodeSharedBlocks, SharedBlocksError } from './shared-blocks.js';
import { SharedValues } from './shared-values.js';

/** Through JSON, as the disk cache keeps it. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Every object and list in `value`, depth first. */
function nodesOf(value: unknown, out: object[] = []): object[] {
  if (value === null || typeof value !== 'object') return out;
  out.push(value);
  for (const child of Object.values(value)) nodesOf(child, out);
  return out;
}

describe('shared blocks', () => {
  it('property: values written with each shared block once read back equal, frozen and shared as `share` shares them', () => {
    fc.assert(
      fc.property(fc.array(definitions, { minLength: 1, maxLength: 6 }), (defs: ApiDefinition[]) => {
        const writer = new SharedValues();
        const built = defs.map((d) => writer.share(viaJson(d)));
        const encoded = viaJson(encodeSharedBlocks(writer, built.map((d, i) => [i, d] as const)));
        expect(encoded.skipped).toBe(0);

        // A fresh process: the same values shared from scratch, and read from the encoding.
        const reference = new SharedValues();
        const expected = defs.map((d) => reference.share(viaJson(d)));
        const reader = new SharedValues();
        const read = decodeSharedBlocks(reader, encoded.blocks, encoded.values);
        expect([...read.keys()]).toEqual(defs.map((_, i) => i));
        const values = [...read.values()];
        expect(values).toStrictEqual(expected);
        for (const node of values.flatMap((v) => nodesOf(v))) expect(Object.isFrozen(node)).toBe(true);
        // The same sharing: two places hold one object exactly when `share` made them one.
        const identity = (all: unknown[]) => {
          const ids = new Map<object, number>();
          return nodesOf(all).map((n) => ids.get(n) ?? (ids.set(n, ids.size), ids.size - 1));
        };
        expect(identity(values)).toEqual(identity(expected));
        expect(reader.size).toBe(reference.size);
        // Sharing a read value again is free and gives it back; an equal fresh value gets the read shared copies.
        for (const [i, value] of values.entries()) {
          expect(reader.share(value)).toBe(value);
          const again = reader.share(viaJson(defs[i]!));
          expect(again).toStrictEqual(value);
          expect(identity([again])).toEqual(identity([value]));
          for (const [a, b] of nodesOf(again).map((n, k) => [n, nodesOf(value)[k]!] as const)) if (reader.keyOf(b) !== undefined) expect(a).toBe(b);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('writes each shared block once, before the blocks that hold it', () => {
    const shared = new SharedValues();
    const timeouts = { connectMs: 1000, totalMs: 5000 };
    const a = shared.share({ name: 'a', text: 'x'.repeat(600), upstream: { timeouts: { ...timeouts }, tags: ['t'] } });
    const b = shared.share({ name: 'b', text: 'y'.repeat(600), upstream: { timeouts: { ...timeouts }, tags: ['t'] } });
    const { blocks, values } = encodeSharedBlocks(shared, [['a', a], ['b', b]]);
    expect(blocks).toEqual([{ connectMs: 1000, totalMs: 5000 }, ['t'], { timeouts: { '\u0000': 0 }, tags: { '\u0000': 1 } }]);
    expect(values).toEqual([
      ['a', { name: 'a', text: 'x'.repeat(600), upstream: { '\u0000': 2 } }],
      ['b', { name: 'b', text: 'y'.repeat(600), upstream: { '\u0000': 2 } }],
    ]);
  });

  it('leaves out a value holding the marker key, and keeps the values around it', () => {
    const shared = new SharedValues();
    const odd = shared.share({ name: 'odd', text: 'x'.repeat(600), headers: { '\u0000': 1 } });
    const fine = shared.share({ name: 'fine', text: 'y'.repeat(600), headers: { a: 1 } });
    const encoded = viaJson(encodeSharedBlocks(shared, [['odd', odd], ['fine', fine]]));
    expect(encoded.skipped).toBe(1);
    expect(encoded.values.map(([k]) => k)).toEqual(['fine']);
    expect([...decodeSharedBlocks(new SharedValues(), encoded.blocks, encoded.values).values()]).toEqual([fine]);
  });

  it('refuses a reference to a block that is not an earlier one, a block that is not an object, and blocks that are not a list', () => {
    const read = (blocks: unknown, values: [string, unknown][]) => () => decodeSharedBlocks(new SharedValues(), viaJson(blocks), viaJson(values));
    expect(read([{ a: 1 }], [['v', { x: { '\u0000': 1 } }]])).toThrow(SharedBlocksError);
    expect(read([{ a: { '\u0000': 0 } }], [])).toThrow(/does not point to an earlier block/);
    expect(read([{ a: 1 }, { b: { '\u0000': 1 } }], [])).toThrow(SharedBlocksError);
    expect(read([{ a: 1 }], [['v', { x: { '\u0000': -1 } }]])).toThrow(SharedBlocksError);
    expect(read([{ a: 1 }], [['v', { x: { '\u0000': 0.5 } }]])).toThrow(SharedBlocksError);
    expect(read([{ a: 1 }], [['v', { x: { '\u0000': '0' } }]])).toThrow(SharedBlocksError);
    expect(read([7], [])).toThrow(/block 0 is not an object/);
    expect(read({}, [])).toThrow(/blocks is not a list/);
    // A well-formed reference reads.
    expect([...decodeSharedBlocks(new SharedValues(), [{ a: 1 }], [['v', { x: { '\u0000': 0 } }]]).values()]).toEqual([{ x: { a: 1 } }]);
  });

  it('uses a shared copy the process holds already instead of the block read', () => {
    const shared = new SharedValues();
    const held = shared.share({ a: 1 });
    const read = decodeSharedBlocks(shared, [{ a: 1 }], [['v', { x: { '\u0000': 0 } }]]);
    expect((read.get('v') as { x: unknown }).x).toBe(held);
  });
});
