import { describe, expect, it } from 'vitest';
import { fnv1a, orderControllerAddresses, parseControllerAddresses, type ControllerAddress } from './controller-addresses.js';

const addr = (list: ControllerAddress[]) => list.map((a) => (a.zone ? `${a.zone}=${a.address}` : a.address));

describe('parseControllerAddresses', () => {
  it('reads plain and zone-tagged entries, trimming blanks', () => {
    expect(parseControllerAddresses(' a=10.0.1.5:9090, b=ctl-b.internal:9090 ,, 127.0.0.1:9091,[::1]:9092,eu-west-1a=h:1')).toEqual([
      { address: '10.0.1.5:9090', zone: 'a' },
      { address: 'ctl-b.internal:9090', zone: 'b' },
      { address: '127.0.0.1:9091', zone: undefined },
      { address: '[::1]:9092', zone: undefined },
      { address: 'h:1', zone: 'eu-west-1a' },
    ]);
  });

  it('rejects malformed entries, naming them', () => {
    expect(() => parseControllerAddresses('')).toThrow(/no controller address/);
    expect(() => parseControllerAddresses(' , ')).toThrow(/no controller address/);
    expect(() => parseControllerAddresses('10.0.0.1')).toThrow(/"10.0.0.1" is not host:port/);
    expect(() => parseControllerAddresses('h:70000')).toThrow(/"h:70000"/);
    expect(() => parseControllerAddresses('=h:1')).toThrow(/zone/);
    expect(() => parseControllerAddresses('a b=h:1')).toThrow(/zone/);
    expect(() => parseControllerAddresses('a=b=h:1')).toThrow(/not host:port/);
    expect(() => parseControllerAddresses('http://h:1')).toThrow(/not host:port/);
    expect(() => parseControllerAddresses('a=h:1,b=h:1')).toThrow(/"h:1" is listed twice/);
  });
});

describe('orderControllerAddresses', () => {
  it('keeps an untagged list in the order given, whatever the runtime', () => {
    const list = parseControllerAddresses('h1:1,h2:1,h3:1');
    for (const id of ['rt-1', 'rt-2', 'rt-3', 'x']) expect(addr(orderControllerAddresses(list, 'a', id))).toEqual(['h1:1', 'h2:1', 'h3:1']);
  });

  it('puts its own zone first, then untagged, then other zones', () => {
    const list = parseControllerAddresses('b=b1:1,u1:1,a=a1:1,c=c1:1,u2:1');
    const order = addr(orderControllerAddresses(list, 'a', 'rt-1'));
    expect(order[0]).toBe('a=a1:1');
    expect(order.slice(1, 3)).toEqual(['u1:1', 'u2:1']);
    expect(new Set(order.slice(3))).toEqual(new Set(['b=b1:1', 'c=c1:1']));
  });

  it('treats every tagged address as another zone when none matches', () => {
    const list = parseControllerAddresses('b=b1:1,c=c1:1');
    expect(orderControllerAddresses(list, 'a', 'rt').map((a) => a.zone).sort()).toEqual(['b', 'c']);
  });

  it('rotates within a tier by runtime id, stably, spreading runtimes over the tier', () => {
    const list = parseControllerAddresses('a=a1:1,a=a2:1,a=a3:1,b=b1:1,c=c1:1,d=d1:1');
    const firstOwn = new Map<string, number>();
    const firstOther = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const id = `rt-${i}`;
      const order = addr(orderControllerAddresses(list, 'a', id));
      // Stable: the same id always gets the same order.
      expect(addr(orderControllerAddresses(list, 'a', id))).toEqual(order);
      // Each tier keeps its members and their cyclic order.
      expect(order.slice(0, 3).every((a) => a.startsWith('a='))).toBe(true);
      expect(cyclicEqual(order.slice(0, 3), ['a=a1:1', 'a=a2:1', 'a=a3:1'])).toBe(true);
      expect(cyclicEqual(order.slice(3), ['b=b1:1', 'c=c1:1', 'd=d1:1'])).toBe(true);
      firstOwn.set(order[0]!, (firstOwn.get(order[0]!) ?? 0) + 1);
      firstOther.set(order[3]!, (firstOther.get(order[3]!) ?? 0) + 1);
    }
    // 300 ids over 3 choices: each gets a fair share (a bound far from any plausible hash skew).
    for (const counts of [firstOwn, firstOther]) {
      expect(counts.size).toBe(3);
      for (const n of counts.values()) expect(n).toBeGreaterThan(50);
    }
  });

  it('fnv1a is the published FNV-1a 32-bit hash', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});

function cyclicEqual(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const start = b.indexOf(a[0]!);
  return start !== -1 && a.every((x, i) => x === b[(start + i) % b.length]);
}
