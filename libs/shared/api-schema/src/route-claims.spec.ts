import { describe, expect, it } from 'vitest';
import type { ApiDefinition } from './index.js';
import { validateApiDefinition } from './index.js';
import { describeRouteConflict, findRouteConflicts, routeConflictProblems } from './index.js';

function def(name: string, basePath: string, hosts: string[] = []): ApiDefinition {
  const result = validateApiDefinition({ name, basePath, hosts, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

describe('findRouteConflicts', () => {
  const others = [
    def('shop', '/shop', ['shop.example.com', '*.example.com']),
    def('any-shop', '/shop'),
    def('api', '/api', ['api.example.com']),
    def('other-path', '/shop/v2', ['shop.example.com']),
  ];

  it('finds the same exact host, the same wildcard, and two any-host APIs on one base path, sorted by API then host', () => {
    expect(findRouteConflicts(def('new', '/shop', ['x.example.com', '*.example.com', 'shop.example.com']), others)).toEqual([
      { host: '*.example.com', basePath: '/shop', api: 'shop' },
      { host: 'shop.example.com', basePath: '/shop', api: 'shop' },
    ]);
    expect(findRouteConflicts(def('new', '/shop'), others)).toEqual([{ host: null, basePath: '/shop', api: 'any-shop' }]);
  });

  it('sees no conflict between other hosts, other base paths, a wildcard and an exact host it covers, or any-host and a host', () => {
    expect(findRouteConflicts(def('new', '/shop', ['a.example.com']), others)).toEqual([]);
    expect(findRouteConflicts(def('new', '/shop', ['*.shop.example.com']), others)).toEqual([]);
    expect(findRouteConflicts(def('new', '/api'), others)).toEqual([]);
    expect(findRouteConflicts(def('new', '/shop/v3', ['shop.example.com']), others)).toEqual([]);
  });

  it('skips the API being replaced (same name)', () => {
    expect(findRouteConflicts(def('shop', '/shop', ['shop.example.com']), others)).toEqual([]);
  });

  it('describes the first conflict and maps each to a field problem', () => {
    const incoming = def('new', '/shop', ['www.example.com', '*.example.com', 'shop.example.com']);
    const conflicts = findRouteConflicts(incoming, others);
    expect(describeRouteConflict(incoming, conflicts)).toBe(
      'API "new" claims *.example.com/shop, which API "shop" already serves (and 1 more conflict); change its hosts or basePath, or change or delete "shop" first.',
    );
    expect(routeConflictProblems(incoming, conflicts)).toEqual([
      { path: 'hosts[1]', message: '*.example.com/shop is already served by API "shop"' },
      { path: 'hosts[2]', message: 'shop.example.com/shop is already served by API "shop"' },
    ]);
    const anyHost = def('new', '/shop');
    expect(routeConflictProblems(anyHost, findRouteConflicts(anyHost, others))).toEqual([
      { path: 'basePath', message: 'any host/shop is already served by API "any-shop"' },
    ]);
  });
});
