import type { SharedValues } from './shared-values.js';

/**
 * Values built by a `SharedValues` written as plain JSON with each shared block once: the
 * blocks in a list (each after the blocks it holds), and the values with every shared
 * block replaced by a reference `{"\u0000": <index>}`. Reading them back gives values equal
 * to what `share` gave, already shared (the blocks adopted by the `SharedValues`): at
 * 10,000 APIs a boot reads ~8,400 distinct blocks once instead of serializing every block
 * of 10,000 definitions to find its shared copy (most of the boot's apply).
 *
 * A value holding a genuine object whose only key is the marker would read back as a
 * reference: such a value is left out when writing (its reader decodes it in full).
 */
const REF = '\u0000';

export interface EncodedBlocks<K> {
  /** Each distinct shared block once, members that are blocks given as references to earlier entries. */
  blocks: unknown[];
  /** The encoded values, by the caller's keys. */
  values: [K, unknown][];
  /** Values left out (they hold the marker key). */
  skipped: number;
}

class HoldsMarker extends Error {}

/** `entries` with every block that `shared` holds a shared copy of written once. */
export function encodeSharedBlocks<K>(shared: SharedValues, entries: Iterable<readonly [K, unknown]>): EncodedBlocks<K> {
  const index = new Map<object, number>();
  const blocks: unknown[] = [];
  const encode = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const known = index.get(value);
    if (known !== undefined) return { [REF]: known };
    let out: unknown;
    if (Array.isArray(value)) {
      const list = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) list[i] = encode(value[i]);
      out = list;
    } else {
      const record: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (key === REF) throw new HoldsMarker();
        record[key] = encode((value as Record<string, unknown>)[key]);
      }
      out = record;
    }
    if (shared.keyOf(value) === undefined) return out;
    index.set(value, blocks.length);
    blocks.push(out);
    return { [REF]: blocks.length - 1 };
  };
  const values: [K, unknown][] = [];
  let skipped = 0;
  for (const [key, value] of entries) {
    try {
      values.push([key, encode(value)]);
    } catch (err) {
      if (!(err instanceof HoldsMarker)) throw err;
      skipped++;
    }
  }
  return { blocks, values, skipped };
}

/** A damaged or foreign encoding: the caller decodes from the source instead. */
export class SharedBlocksError extends Error {}

/**
 * The values `encodeSharedBlocks` wrote, parsed from JSON (`blocks` and each value are
 * frozen in place): every block is adopted by `shared` (an equal shared copy it already
 * holds is used instead), each value is deep-frozen and taken by `shared` as built by it.
 * Throws `SharedBlocksError` on a reference that does not point to an earlier block.
 */
export function decodeSharedBlocks<K>(shared: SharedValues, blocks: unknown, values: Iterable<readonly [K, unknown]>): Map<K, unknown> {
  if (!Array.isArray(blocks)) throw new SharedBlocksError('blocks is not a list');
  const resolved = new Array<object>(blocks.length);
  let limit = 0;
  const resolve = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = resolve(value[i]);
      return Object.freeze(value);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === REF) {
      const at = record[REF];
      if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= limit) throw new SharedBlocksError(`reference ${String(at)} does not point to an earlier block`);
      return resolved[at];
    }
    for (const key of keys) record[key] = resolve(record[key]);
    return Object.freeze(record);
  };
  for (let i = 0; i < blocks.length; i++) {
    limit = i;
    const block = resolve(blocks[i]);
    if (block === null || typeof block !== 'object') throw new SharedBlocksError(`block ${i} is not an object or a list`);
    resolved[i] = shared.adopt(block);
  }
  limit = blocks.length;
  const out = new Map<K, unknown>();
  for (const [key, value] of values) {
    const decoded = resolve(value);
    // A value that is not itself a block is a large one `share` built (a block is adopted already).
    if (decoded !== null && typeof decoded === 'object' && shared.keyOf(decoded) === undefined) shared.adoptLarge(decoded);
    out.set(key, decoded);
  }
  return out;
}
