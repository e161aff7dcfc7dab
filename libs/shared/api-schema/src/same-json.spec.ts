import { describe, expect, it } from 'vitest';
import { sameJson } from './same-json.js';

describe('sameJson', () => {
  it('answers as comparing the serialized values would, whatever the key order', () => {
    const cases: [unknown, unknown][] = [
      [{ a: 1, b: [1, 2, { c: null }] }, { b: [1, 2, { c: null }], a: 1 }],
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1, b: 2 }, { a: 1, c: 2 }],
      [[1, 2], [2, 1]],
      [[1], { 0: 1 }],
      [{}, []],
      [null, {}],
      ['1', 1],
      [{ a: [] }, { a: [] }],
      [{ a: { b: 'x' } }, { a: { b: 'y' } }],
      [true, true],
    ];
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
    for (const [a, b] of cases) {
      const expected = JSON.stringify(sorted(a)) === JSON.stringify(sorted(b)) && Array.isArray(a) === Array.isArray(b);
      expect([a, b, sameJson(a, b)]).toEqual([a, b, expected]);
    }
  });
});
