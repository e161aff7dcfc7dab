import { parseUpstreamTarget } from '@gw/upstreams';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPools } from './upstream-pools.js';

const pools: UpstreamPools[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

function targetsOf(urls: string[]) {
  return urls.map((url) => parseUpstreamTarget(url, 1));
}

describe('UpstreamPools', () => {
  it('shares one pool per origin and connect timeout, across routing tables', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [a1, b1] = targetsOf(['http://127.0.0.1:8001', 'http://127.0.0.1:8002']);
    const [a2] = targetsOf(['http://127.0.0.1:8001/prefix']);
    const first = p.get(a1!, 250);
    expect(p.get(a1!, 250)).toBe(first);
    expect(p.get(a2!, 250)).toBe(first);
    expect(p.get(b1!, 250)).not.toBe(first);
    // Another connect timeout is another pool, even for the same target object.
    const slower = p.get(a1!, 1000);
    expect(slower).not.toBe(first);
    expect(slower.connectMs).toBe(1000);
    expect(p.size).toBe(3);
  });

  it('gives the Host header value: the port only when it is not the scheme default', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [plain, custom, tls, v6] = targetsOf(['http://api.internal', 'http://api.internal:8080', 'https://secure.internal', 'http://[::1]:9000']);
    expect(p.get(plain!, 100).host).toBe('api.internal');
    expect(p.get(custom!, 100).host).toBe('api.internal:8080');
    expect(p.get(tls!, 100).host).toBe('secure.internal');
    expect(p.get(v6!, 100).host).toBe('[::1]:9000');
  });

  it('hands out new pools after close(), never a destroyed one', () => {
    const p = new UpstreamPools();
    pools.push(p);
    const [a] = targetsOf(['http://127.0.0.1:8001']);
    const before = p.get(a!, 250);
    p.close();
    expect(p.size).toBe(0);
    const after = p.get(a!, 250);
    expect(after).not.toBe(before);
    expect(after.pool.destroyed).toBe(false);
  });
});
