import type { SnapshotApi, SnapshotContent } from '@gw/snapshot';
import { describe, expect, it } from 'vitest';
import { buildRouteTable } from './route-table.js';

function api(name: string, basePath: string, extra: Partial<SnapshotApi> = {}): SnapshotApi {
  return {
    name,
    hosts: [],
    basePath,
    stripBasePath: true,
    upstream: { targets: [{ url: `http://${name}.internal:8080`, weight: 1 }], connectTimeoutMs: 1000, requestTimeoutMs: 5000 },
    ...extra,
  };
}

function table(...apis: SnapshotApi[]) {
  const content: SnapshotContent = { apis };
  return buildRouteTable(content);
}

/** `name forwardPath` of the match, or `none`: one string keeps the assertions readable. */
function hit(t: ReturnType<typeof table>, host: string | undefined, path: string): string {
  const m = t.match(host, path);
  return m === undefined ? 'none' : `${m.route.name} ${m.forwardPath}`;
}

describe('buildRouteTable / match', () => {
  it('picks the longest matching base path', () => {
    const t = table(api('orders', '/orders'), api('items', '/orders/items'), api('deep', '/orders/items/special'));
    expect(hit(t, 'x', '/orders/42')).toBe('orders /42');
    expect(hit(t, 'x', '/orders/items/7')).toBe('items /7');
    expect(hit(t, 'x', '/orders/items')).toBe('items /');
    expect(hit(t, 'x', '/orders/items/special/1')).toBe('deep /1');
    expect(hit(t, 'x', '/orders/itemsx')).toBe('orders /itemsx');
  });

  it('matches only on segment boundaries', () => {
    const t = table(api('orders', '/orders'));
    expect(hit(t, 'x', '/orders')).toBe('orders /');
    expect(hit(t, 'x', '/orders/')).toBe('orders /');
    expect(hit(t, 'x', '/orders/42')).toBe('orders /42');
    expect(hit(t, 'x', '/ordersx')).toBe('none');
    expect(hit(t, 'x', '/orders-old/1')).toBe('none');
    expect(hit(t, 'x', '/order')).toBe('none');
    expect(hit(t, 'x', '/')).toBe('none');
    // Case matters in paths.
    expect(hit(t, 'x', '/Orders/1')).toBe('none');
  });

  it('lets a root API match everything the others do not, path unchanged', () => {
    const t = table(api('root', '/'), api('orders', '/orders'));
    expect(hit(t, 'x', '/')).toBe('root /');
    expect(hit(t, 'x', '/anything/at/all')).toBe('root /anything/at/all');
    expect(hit(t, 'x', '/ordersx')).toBe('root /ordersx');
    expect(hit(t, 'x', '/orders/1')).toBe('orders /1');
    expect(hit(table(), 'x', '/')).toBe('none');
  });

  it('keeps a leading // as part of the path, never an authority', () => {
    const t = table(api('root', '/'), api('orders', '/orders'));
    expect(hit(t, 'x', '//evil/x')).toBe('root //evil/x');
    expect(hit(t, 'x', '/orders//evil/x')).toBe('orders //evil/x');
  });

  it('serves host-specific APIs only on their hosts and prefers them over any-host APIs on equal base paths', () => {
    const t = table(
      api('shop-orders', '/orders', { hosts: ['shop.example.com'] }),
      api('orders', '/orders'),
      api('admin', '/admin', { hosts: ['admin.example.com', 'ops.example.com'] }),
      api('shop-root', '/', { hosts: ['shop.example.com'] }),
    );
    expect(hit(t, 'shop.example.com', '/orders/1')).toBe('shop-orders /1');
    expect(hit(t, 'other.example.com', '/orders/1')).toBe('orders /1');
    expect(hit(t, undefined, '/')).toBe('none');
    expect(hit(t, undefined, '/orders/1')).toBe('orders /1');
    expect(hit(t, 'admin.example.com', '/admin/x')).toBe('admin /x');
    expect(hit(t, 'ops.example.com', '/admin/x')).toBe('admin /x');
    expect(hit(t, 'shop.example.com', '/admin/x')).toBe('shop-root /admin/x');
    expect(hit(t, 'other.example.com', '/admin/x')).toBe('none');
    // A longer any-host base path beats a shorter exact-host one.
    expect(hit(t, 'shop.example.com', '/orders')).toBe('shop-orders /');
    expect(hit(t, 'admin.example.com', '/orders/2')).toBe('orders /2');
  });

  it('ignores case and port in the Host header, IPv6 literals included', () => {
    const t = table(api('shop', '/shop', { hosts: ['shop.example.com', '[::1]'] }));
    expect(hit(t, 'SHOP.Example.COM', '/shop/1')).toBe('shop /1');
    expect(hit(t, 'shop.example.com:8443', '/shop/1')).toBe('shop /1');
    expect(hit(t, 'Shop.Example.Com:80', '/shop')).toBe('shop /');
    expect(hit(t, '[::1]:8080', '/shop/1')).toBe('shop /1');
    expect(hit(t, '[::1]', '/shop/1')).toBe('shop /1');
    expect(hit(t, 'shop.example.com.evil', '/shop/1')).toBe('none');
    expect(hit(t, '', '/shop/1')).toBe('none');
  });

  it('strips the base path only when the API says so', () => {
    const t = table(api('strip', '/a'), api('keep', '/b', { stripBasePath: false }));
    expect(hit(t, 'x', '/a/42')).toBe('strip /42');
    expect(hit(t, 'x', '/a')).toBe('strip /');
    expect(hit(t, 'x', '/b/42')).toBe('keep /b/42');
    expect(hit(t, 'x', '/b')).toBe('keep /b');
  });

  it('holds the route data forwarding needs, parsed once', () => {
    const t = table(
      api('orders', '/orders', {
        upstream: {
          targets: [
            { url: 'http://10.0.0.7:8080/api/', weight: 3 },
            { url: 'https://Backend.Example.com', weight: 1 },
            { url: 'http://[::1]/v1?k=v', weight: 1 },
          ],
          connectTimeoutMs: 250,
          requestTimeoutMs: 3000,
        },
      }),
    );
    const route = t.match('x', '/orders')!.route;
    expect(route).toMatchObject({ name: 'orders', basePath: '/orders', stripBasePath: true, connectTimeoutMs: 250, requestTimeoutMs: 3000 });
    expect(route.targets.map(({ protocol, hostname, port, origin, pathPrefix, query, weight }) => ({ protocol, hostname, port, origin, pathPrefix, query, weight }))).toEqual([
      { protocol: 'http:', hostname: '10.0.0.7', port: 8080, origin: 'http://10.0.0.7:8080', pathPrefix: '/api', query: '', weight: 3 },
      { protocol: 'https:', hostname: 'backend.example.com', port: 443, origin: 'https://backend.example.com:443', pathPrefix: '', query: '', weight: 1 },
      { protocol: 'http:', hostname: '[::1]', port: 80, origin: 'http://[::1]:80', pathPrefix: '/v1', query: 'k=v', weight: 1 },
    ]);
  });

  it('is frozen: table, routes and targets cannot be changed', () => {
    const t = table(api('orders', '/orders', { hosts: ['a.example.com'] }));
    const route = t.routes[0]!;
    expect(t.size).toBe(1);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.routes)).toBe(true);
    expect(Object.isFrozen(route)).toBe(true);
    expect(Object.isFrozen(route.hosts)).toBe(true);
    expect(Object.isFrozen(route.targets)).toBe(true);
    expect(Object.isFrozen(route.targets[0])).toBe(true);
    expect(() => {
      (t as { size: number }).size = 2;
    }).toThrow(TypeError);
    expect(() => {
      (route.targets as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('refuses a host and base path claimed twice', () => {
    expect(() => table(api('a', '/x'), api('b', '/x'))).toThrow(/a and b both claim \*\/x/);
    expect(() => table(api('a', '/x', { hosts: ['h'] }), api('b', '/x', { hosts: ['h'] }))).toThrow(/both claim h\/x/);
    expect(() => table(api('a', '/x', { hosts: ['h'] }), api('b', '/x'))).not.toThrow();
  });

  it('builds and matches 10,000 APIs correctly', () => {
    const apis: SnapshotApi[] = [];
    for (let i = 0; i < 10_000; i++) {
      // A mix of depths, shared prefixes and host-specific APIs.
      const basePath = i % 3 === 0 ? `/svc${i}` : i % 3 === 1 ? `/team${i % 100}/svc${i}` : `/team${i % 100}/svc${i}/v2`;
      apis.push(api(`api-${i}`, basePath, i % 5 === 0 ? { hosts: [`h${i % 7}.example.com`] } : {}));
    }
    apis.push(api('team-root', '/team42'));
    const t = table(...apis);
    expect(t.size).toBe(10_001);
    for (let i = 0; i < 10_000; i++) {
      const a = apis[i]!;
      const host = a.hosts[0] ?? 'any.example.com';
      expect(hit(t, host.toUpperCase(), `${a.basePath}/item/${i}`)).toBe(`api-${i} /item/${i}`);
      if (a.hosts.length > 0) expect(hit(t, 'elsewhere.example.com', `${a.basePath}/item`)).not.toBe(`api-${i} /item`);
    }
    expect(hit(t, 'x', '/team42/unknown')).toBe('team-root /unknown');
    expect(hit(t, 'x', '/svc0x')).toBe('none');
  });
});
