import type { ApiDefinition } from '@gw/api-schema';
import { plainApi } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { buildApiRoutes } from './api-routes.js';
import { buildRouteTable, updateRouteTable } from './route-table.js';

function api(name: string, basePath: string, extra: Partial<ApiDefinition> = {}): ApiDefinition {
  return plainApi(name, basePath, [`http://${name}.internal:8080`], extra);
}

/** The table over these definitions, each routed as `{ definition, router }`. */
function table(...apis: ApiDefinition[]) {
  return buildRouteTable(apis.map((definition) => ({ definition, router: buildApiRoutes(definition.routes) })));
}

/**
 * `name forwardPath` of a match (`name:route forwardPath` when a route of the API matched),
 * `405 name Allow` for a method mismatch, or `none`: one string keeps the assertions readable.
 */
function hit(t: ReturnType<typeof table>, host: string | undefined, path: string, method = 'GET'): string {
  const m = t.match(method, host, path);
  if (m === undefined) return 'none';
  if (m.kind === 'method-not-allowed') return `405 ${m.api.definition.name} ${m.allow}`;
  return `${m.api.definition.name}${m.routeName === null ? '' : `:${m.routeName}`} ${m.forwardPath}`;
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
    expect(hit(t, 'shop.example.com', '/orders')).toBe('shop-orders /');
    // A host-specific API that does not serve the path lets any-host APIs serve it.
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
    // A fully qualified name (trailing dot) is the same host.
    expect(hit(t, 'shop.example.com.', '/shop/1')).toBe('shop /1');
    expect(hit(t, 'shop.example.com.:8080', '/shop/1')).toBe('shop /1');
  });

  it('strips the base path only when the API says so', () => {
    const t = table(api('strip', '/a'), api('keep', '/b', { stripBasePath: false }));
    expect(hit(t, 'x', '/a/42')).toBe('strip /42');
    expect(hit(t, 'x', '/a')).toBe('strip /');
    expect(hit(t, 'x', '/b/42')).toBe('keep /b/42');
    expect(hit(t, 'x', '/b')).toBe('keep /b');
  });

  it('is frozen, and a match hands back the very value that was routed', () => {
    const t = table(api('orders', '/orders', { hosts: ['a.example.com'] }));
    const routed = t.apis[0]!;
    expect(t.size).toBe(1);
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.apis)).toBe(true);
    expect(t.match('GET', 'a.example.com', '/orders/1')).toMatchObject({ kind: 'route', api: routed });
    expect(() => {
      (t as { size: number }).size = 2;
    }).toThrow(TypeError);
    expect(() => {
      (t.apis as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('refuses a host and base path claimed twice', () => {
    expect(() => table(api('a', '/x'), api('b', '/x'))).toThrow('APIs a and b both claim any host/x');
    expect(() => table(api('a', '/x', { hosts: ['h'] }), api('b', '/x', { hosts: ['h'] }))).toThrow('both claim h/x');
    expect(() => table(api('a', '/x', { hosts: ['*.h'] }), api('b', '/x', { hosts: ['*.h'] }))).toThrow('both claim *.h/x');
    expect(() => table(api('a', '/x', { hosts: ['*.h'] }), api('b', '/x', { hosts: ['a.h'] }))).not.toThrow();
    expect(() => table(api('a', '/x', { hosts: ['h'] }), api('b', '/x'))).not.toThrow();
  });

  it('builds and matches 10,000 APIs with exact and wildcard hosts and routes correctly', () => {
    const apis: ApiDefinition[] = [];
    for (let i = 0; i < 10_000; i++) {
      // A mix of depths, shared prefixes, exact hosts, wildcard hosts and APIs with routes.
      const basePath = i % 3 === 0 ? `/svc${i}` : i % 3 === 1 ? `/team${i % 100}/svc${i}` : `/team${i % 100}/svc${i}/v2`;
      const hosts = i % 5 === 0 ? [`h${i % 7}.example.com`] : i % 5 === 1 ? [`*.w${i % 11}.example.com`] : [];
      const routes = i % 4 === 0 ? [ROUTE_GET_ITEM, ROUTE_CREATE] : [];
      apis.push(api(`api-${i}`, basePath, { hosts, routes }));
    }
    apis.push(api('team-root', '/team42'));
    apis.push(api('wild-root', '/', { hosts: ['*.example.com'] }));
    const t = table(...apis);
    expect(t.size).toBe(10_002);
    for (let i = 0; i < 10_000; i++) {
      const a = apis[i]!;
      const pattern = a.hosts[0];
      const host = pattern === undefined ? 'any.example.org' : pattern.startsWith('*.') ? `deep.x${pattern.slice(1)}` : pattern;
      const routed = a.routes.length > 0;
      expect(hit(t, host.toUpperCase(), `${a.basePath}/item/${i}`)).toBe(routed ? `api-${i}:get-item /item/${i}` : `api-${i} /item/${i}`);
      if (routed) {
        expect(hit(t, host, `${a.basePath}/item/${i}`, 'DELETE')).toBe(`405 api-${i} GET, HEAD`);
        expect(hit(t, host, a.basePath, 'POST')).toBe(`api-${i}:create /`);
      }
      if (a.hosts.length > 0) {
        // Elsewhere the API never matches: another host tier, or nothing, serves the path.
        const elsewhere = hit(t, 'elsewhere.example.org', `${a.basePath}/item`);
        expect(elsewhere.startsWith(`api-${i} `)).toBe(false);
      }
    }
    expect(hit(t, 'x.example.org', '/team42/unknown')).toBe('team-root /unknown');
    expect(hit(t, 'x.example.org', '/svc0x')).toBe('none');
    // Hosts under example.com fall back to the wildcard root API for paths no API of theirs serves.
    expect(hit(t, 'h1.example.com', '/svc0x')).toBe('wild-root /svc0x');
  });
});

const ROUTE_GET_ITEM = { name: 'get-item', methods: ['GET'], path: '/item/:id', rateLimits: [] };
const ROUTE_CREATE = { name: 'create', methods: ['POST'], path: '/', rateLimits: [] };

describe('hosts: exact, wildcard, any', () => {
  it('matches a wildcard at any depth of subdomain, but not the bare suffix or a look-alike', () => {
    const t = table(api('wild', '/', { hosts: ['*.example.com'] }));
    expect(hit(t, 'a.example.com', '/x')).toBe('wild /x');
    expect(hit(t, 'a.b.example.com', '/x')).toBe('wild /x');
    expect(hit(t, 'A.B.Example.COM:8443', '/x')).toBe('wild /x');
    expect(hit(t, 'example.com', '/x')).toBe('none');
    expect(hit(t, 'badexample.com', '/x')).toBe('none');
    expect(hit(t, 'a.example.com.evil', '/x')).toBe('none');
    expect(hit(t, undefined, '/x')).toBe('none');
  });

  it('prefers the exact host, then the longest wildcard suffix, then any host, even over a longer base path', () => {
    const t = table(
      api('exact', '/', { hosts: ['a.b.example.com'] }),
      api('deep-wild', '/', { hosts: ['*.b.example.com'] }),
      api('wild', '/', { hosts: ['*.example.com'] }),
      api('any', '/api'),
    );
    expect(hit(t, 'a.b.example.com', '/api/1')).toBe('exact /api/1');
    expect(hit(t, 'c.b.example.com', '/api/1')).toBe('deep-wild /api/1');
    expect(hit(t, 'x.a.b.example.com', '/api/1')).toBe('deep-wild /api/1');
    expect(hit(t, 'c.example.com', '/api/1')).toBe('wild /api/1');
    expect(hit(t, 'example.org', '/api/1')).toBe('any /1');
    expect(hit(t, 'example.org', '/other')).toBe('none');
  });

  it('falls through to a less specific host tier when the specific one has no API for the path', () => {
    const t = table(
      api('exact-shop', '/shop', { hosts: ['a.example.com'] }),
      api('wild-admin', '/admin', { hosts: ['*.example.com'] }),
      api('any-root', '/'),
    );
    expect(hit(t, 'a.example.com', '/shop/1')).toBe('exact-shop /1');
    expect(hit(t, 'a.example.com', '/admin/1')).toBe('wild-admin /1');
    expect(hit(t, 'a.example.com', '/other')).toBe('any-root /other');
    expect(hit(t, 'b.example.com', '/shop/1')).toBe('any-root /shop/1');
  });
});

describe('routes inside an API', () => {
  const orders = api('orders', '/orders', {
    routes: [
      { name: 'create', methods: ['POST'], path: '/', rateLimits: [] },
      { name: 'get-order', methods: ['GET'], path: '/:id', rateLimits: [] },
      { name: 'mine', methods: ['GET'], path: '/mine', rateLimits: [] },
      { name: 'update', methods: ['PATCH', 'PUT'], path: '/:id', rateLimits: [] },
      { name: 'files', methods: [], path: '/:id/files/*', rateLimits: [] },
      { name: 'head-only', methods: ['HEAD'], path: '/probe', rateLimits: [] },
      { name: 'probe', methods: ['GET'], path: '/probe', rateLimits: [] },
    ],
  });

  it('matches method and path, the most specific route winning, and forwards the path as-is below the base path', () => {
    const t = table(orders);
    expect(hit(t, 'x', '/orders', 'POST')).toBe('orders:create /');
    expect(hit(t, 'x', '/orders/', 'POST')).toBe('orders:create /');
    expect(hit(t, 'x', '/orders/42')).toBe('orders:get-order /42');
    expect(hit(t, 'x', '/orders/mine')).toBe('orders:mine /mine');
    expect(hit(t, 'x', '/orders/42', 'PUT')).toBe('orders:update /42');
    expect(hit(t, 'x', '/orders/42/files/a/b.txt', 'PROPFIND')).toBe('orders:files /42/files/a/b.txt');
    expect(hit(t, 'x', '/orders/42/files/', 'DELETE')).toBe('orders:files /42/files/');
  });

  it('lets GET imply HEAD unless a route declares HEAD for that path', () => {
    const t = table(orders);
    expect(hit(t, 'x', '/orders/42', 'HEAD')).toBe('orders:get-order /42');
    expect(hit(t, 'x', '/orders/probe', 'HEAD')).toBe('orders:head-only /probe');
    expect(hit(t, 'x', '/orders/probe', 'GET')).toBe('orders:probe /probe');
  });

  it('answers 405 with the allowed methods when the path exists for other methods only', () => {
    const t = table(orders, api('root', '/'));
    expect(hit(t, 'x', '/orders/42', 'DELETE')).toBe('405 orders GET, HEAD, PATCH, PUT');
    expect(hit(t, 'x', '/orders', 'GET')).toBe('405 orders POST');
    // /:id covers "mine" for PATCH and PUT.
    expect(hit(t, 'x', '/orders/mine', 'POST')).toBe('405 orders GET, HEAD, PATCH, PUT');
  });

  it('lets a less specific API serve a path the API routes do not cover at all', () => {
    const t = table(orders, api('root', '/'));
    expect(hit(t, 'x', '/orders/42/other')).toBe('root /orders/42/other');
    expect(hit(t, 'x', '/orders/42/')).toBe('root /orders/42/');
    expect(hit(table(orders), 'x', '/orders/42/other')).toBe('none');
  });

  it('never matches a :param on an empty segment, and keeps case and trailing slashes significant', () => {
    const t = table(api('items', '/items', { routes: [{ name: 'one', methods: ['GET'], path: '/:id', rateLimits: [] }, { name: 'x', methods: ['GET'], path: '/X/list/', rateLimits: [] }] }));
    expect(hit(t, 'x', '/items')).toBe('none');
    expect(hit(t, 'x', '/items/')).toBe('none');
    expect(hit(t, 'x', '/items/X/list/')).toBe('items:x /X/list/');
    expect(hit(t, 'x', '/items/X/list')).toBe('none');
    expect(hit(t, 'x', '/items/x/list/')).toBe('none');
  });

  it('matches long parameters (no 100-character cap) and routes below a root base path', () => {
    const t = table(api('root', '/', { stripBasePath: false, routes: [{ name: 'one', methods: ['GET'], path: '/things/:id', rateLimits: [] }] }));
    const id = 'x'.repeat(5000);
    expect(hit(t, 'x', `/things/${id}`)).toBe(`root:one /things/${id}`);
    expect(hit(t, 'x', '/other')).toBe('none');
  });

  it('prefers a more specific any-method route over a less specific method route, and the reverse', () => {
    const t = table(
      api('mixed', '/m', {
        routes: [
          { name: 'by-id', methods: ['GET'], path: '/:id', rateLimits: [] },
          { name: 'static-any', methods: [], path: '/status', rateLimits: [] },
          { name: 'catch-all', methods: [], path: '/*', rateLimits: [] },
        ],
      }),
    );
    expect(hit(t, 'x', '/m/status')).toBe('mixed:static-any /status');
    expect(hit(t, 'x', '/m/42')).toBe('mixed:by-id /42');
    expect(hit(t, 'x', '/m/42', 'POST')).toBe('mixed:catch-all /42');
    expect(hit(t, 'x', '/m/a/b', 'GET')).toBe('mixed:catch-all /a/b');
  });
});

describe('updateRouteTable', () => {
  const routed = (definition: ApiDefinition) => ({ definition, router: buildApiRoutes(definition.routes) });

  it('adds, replaces and removes APIs without changing the table it starts from', () => {
    const orders = routed(api('orders', '/orders'));
    const items = routed(api('items', '/orders/items', { hosts: ['shop.example.com'] }));
    const wild = routed(api('wild', '/w', { hosts: ['*.example.com'] }));
    const before = buildRouteTable([orders, items, wild]);
    const movedItems = routed(api('items', '/catalog/items', { hosts: ['shop.example.com'] }));
    const users = routed(api('users', '/users'));
    const after = updateRouteTable(before, [movedItems, users], ['wild']);

    expect(hit(before, 'shop.example.com', '/orders/items/1')).toBe('items /1');
    expect(hit(before, 'a.example.com', '/w/1')).toBe('wild /1');
    expect(hit(before, 'x', '/users/1')).toBe('none');
    expect(before.size).toBe(3);

    expect(hit(after, 'shop.example.com', '/orders/items/1')).toBe('orders /items/1');
    expect(hit(after, 'shop.example.com', '/catalog/items/1')).toBe('items /1');
    expect(hit(after, 'a.example.com', '/w/1')).toBe('none');
    expect(hit(after, 'x', '/users/1')).toBe('users /1');
    expect(after.size).toBe(3);
    expect(after.apis.map((a) => a.definition.name).sort()).toEqual(['items', 'orders', 'users']);
    // The API object handed out is the one put in: the proxy finds everything about it there.
    expect(after.match('GET', 'x', '/users')).toMatchObject({ api: users });
  });

  it('refuses a collision with an API it keeps, and frees the claims of one it removes or moves', () => {
    const before = buildRouteTable([routed(api('orders', '/orders')), routed(api('users', '/users'))]);
    expect(() => updateRouteTable(before, [routed(api('billing', '/orders'))], [])).toThrow('APIs orders and billing both claim any host/orders');
    // Taking the base path of an API removed or moved in the same change is fine.
    expect(hit(updateRouteTable(before, [routed(api('billing', '/orders'))], ['orders']), 'x', '/orders/1')).toBe('billing /1');
    const swapped = updateRouteTable(before, [routed(api('orders', '/users')), routed(api('users', '/orders'))], []);
    expect(hit(swapped, 'x', '/users/1')).toBe('orders /1');
    expect(hit(swapped, 'x', '/orders/1')).toBe('users /1');
    expect(hit(before, 'x', '/users/1')).toBe('users /1');
  });

  it('matches like a table built from scratch after a random series of changes', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const hosts = [[], ['a.example.com'], ['*.example.com'], ['b.example.com', 'c.example.com']];
    const live = new Map<string, ReturnType<typeof routed>>();
    let table = buildRouteTable<ReturnType<typeof routed>>([]);
    for (let step = 0; step < 300; step++) {
      const name = `api-${random(12)}`;
      if (random(4) === 0) {
        table = updateRouteTable(table, [], [name]);
        live.delete(name);
      } else {
        const next = routed(api(name, `/p${random(6)}${random(2) === 0 ? '' : `/q${random(3)}`}`, { hosts: hosts[random(hosts.length)]! }));
        const fresh = () => buildRouteTable([...[...live.values()].filter((a) => a.definition.name !== name), next]);
        let expected: ReturnType<typeof fresh> | undefined;
        try {
          expected = fresh();
        } catch {
          expect(() => updateRouteTable(table, [next], [])).toThrow(/both claim/);
          continue;
        }
        table = updateRouteTable(table, [next], []);
        live.set(name, next);
        for (const host of ['x', 'a.example.com', 'z.example.com', 'b.example.com', 'c.example.com']) {
          for (const path of ['/p0', '/p1/q0/x', '/p2/q1', '/p3/q2/y', '/p4', '/p5/q0']) expect(hit(table, host, path), `${host}${path}`).toBe(hit(expected, host, path));
        }
      }
      expect(table.size).toBe(live.size);
    }
  });
});
