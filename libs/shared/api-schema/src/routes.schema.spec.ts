import { describe, expect, it } from 'vitest';
import { validateApiDefinition, type FieldProblem } from './index.js';
import { routePathShape } from './index.js';

function withRoutes(routes: unknown): Record<string, unknown> {
  return { name: 'orders', basePath: '/orders', routes, upstream: { targets: [{ url: 'http://10.0.0.7:8080' }] } };
}

function routesOf(routes: unknown) {
  const result = validateApiDefinition(withRoutes(routes));
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.problems)}`);
  return result.value.routes;
}

function problemsOf(routes: unknown): FieldProblem[] {
  const result = validateApiDefinition(withRoutes(routes));
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

describe('routes', () => {
  it('defaults to none, and keeps routes in the operator order with methods as given', () => {
    const def = validateApiDefinition({ name: 'orders', basePath: '/orders', upstream: { targets: [{ url: 'http://a' }] } });
    expect(def.ok && def.value.routes).toEqual([]);
    expect(
      routesOf([
        { name: 'get-order', methods: ['GET', 'HEAD'], path: '/:id' },
        { name: 'create', methods: ['POST'], path: '/' },
        { name: 'files', path: '/:id/files/*' },
        { name: 'any', methods: [], path: '/legacy/' },
      ]),
    ).toEqual([
      { name: 'get-order', methods: ['GET', 'HEAD'], path: '/:id', rateLimits: [] },
      { name: 'create', methods: ['POST'], path: '/', rateLimits: [] },
      { name: 'files', methods: [], path: '/:id/files/*', rateLimits: [] },
      { name: 'any', methods: [], path: '/legacy/', rateLimits: [] },
    ]);
  });

  it.each(['/', '/a', '/a/b/', '/:id', '/:id/items/:itemId', '/*', '/a/*', "/a-b._~!$&'()+,;=@", '/v1.2/:file_name'])('accepts path %j', (path) => {
    expect(routesOf([{ name: 'r', path }])[0]!.path).toBe(path);
  });

  it.each([
    ['', 'must start with "/" (it is relative to basePath)'],
    ['a', 'must start with "/" (it is relative to basePath)'],
    ['/a//b', 'must not contain empty segments ("//")'],
    ['/*/a', 'may only use "*" as the last segment (it matches the rest of the path)'],
    ['/a*', 'segment "a*" must be a whole ":param", a final "*", or letters, digits and -._~!$&\'()+,;=@ (no "%", ":" or "*" inside a segment)'],
    ['/a:b', 'segment "a:b" must be a whole ":param", a final "*", or letters, digits and -._~!$&\'()+,;=@ (no "%", ":" or "*" inside a segment)'],
    ['/:id(^\\d+$)', 'segment ":id(^\\d+$)" must be ":" followed by a name of letters, digits and "_" (no regular expressions)'],
    ['/:', 'segment ":" must be ":" followed by a name of letters, digits and "_" (no regular expressions)'],
    ['/:a-:b', 'segment ":a-:b" must be ":" followed by a name of letters, digits and "_" (no regular expressions)'],
    ['/:id/:id', 'uses the parameter ":id" twice'],
    ['/a/../b', 'must not contain "." or ".." segments'],
    ['/a%20b', 'segment "a%20b" must be a whole ":param", a final "*", or letters, digits and -._~!$&\'()+,;=@ (no "%", ":" or "*" inside a segment)'],
    ['/a b', 'segment "a b" must be a whole ":param", a final "*", or letters, digits and -._~!$&\'()+,;=@ (no "%", ":" or "*" inside a segment)'],
    ['/a?x=1', 'segment "a?x=1" must be a whole ":param", a final "*", or letters, digits and -._~!$&\'()+,;=@ (no "%", ":" or "*" inside a segment)'],
    [`/${'a'.repeat(1024)}`, 'must be at most 1024 characters'],
  ])('rejects path %j', (path, message) => {
    expect(problemsOf([{ name: 'r', path }])).toEqual([{ path: 'routes[0].path', message }]);
  });

  it('checks names, methods and unknown fields with their paths', () => {
    expect(
      problemsOf([
        { methods: ['GET'], path: '/a' },
        { name: 'Bad_Name', path: '/b' },
        { name: 'c', methods: ['get'], path: '/c' },
        { name: 'd', methods: ['CONNECT', 'PURGE'], path: '/d' },
        { name: 'e', methods: ['GET', 'GET'], path: '/e' },
        { name: 'f', methods: 'GET', path: '/f' },
        { name: 'g', path: '/g', handler: 'x' },
        { name: 'h' },
        'nope',
      ]),
    ).toEqual([
      { path: 'routes[0].name', message: 'is required' },
      { path: 'routes[1].name', message: 'must be 1-63 lower-case letters, digits and "-", starting and ending with a letter or digit' },
      { path: 'routes[2].methods[0]', message: 'must be upper-case ("GET")' },
      { path: 'routes[3].methods[0]', message: 'must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE (leave methods out to accept every method)' },
      { path: 'routes[3].methods[1]', message: 'must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE (leave methods out to accept every method)' },
      { path: 'routes[4].methods[1]', message: 'duplicates routes[4].methods[0] ("GET")' },
      { path: 'routes[5].methods', message: 'must be an array, not a string' },
      { path: 'routes[6].handler', message: 'unknown field' },
      { path: 'routes[7].path', message: 'is required' },
      { path: 'routes[8]', message: 'must be an object, not a string' },
    ]);
  });

  it('rejects a non-array and more than 256 routes', () => {
    expect(problemsOf({ name: 'r', path: '/' })).toEqual([{ path: 'routes', message: 'must be an array, not an object' }]);
    const many = Array.from({ length: 257 }, (_, i) => ({ name: `r${i}`, path: `/r${i}` }));
    expect(problemsOf(many)).toEqual([{ path: 'routes', message: 'must have at most 256 items' }]);
    expect(routesOf(many.slice(0, 256))).toHaveLength(256);
  });

  it('rejects two routes serving the same method on the same path shape, and duplicate names', () => {
    expect(
      problemsOf([
        { name: 'get', methods: ['GET'], path: '/:id' },
        { name: 'get', methods: ['POST'], path: '/' },
        { name: 'get-again', methods: ['HEAD', 'GET'], path: '/:key' },
        { name: 'every', path: '/' },
        { name: 'every-2', path: '/x' },
        { name: 'every-3', path: '/x' },
      ]),
    ).toEqual([
      { path: 'routes[1].name', message: 'duplicates routes[0].name ("get")' },
      { path: 'routes[2]', message: 'conflicts with routes[0] ("get"): both serve GET /:id and /:key' },
      { path: 'routes[3]', message: 'conflicts with routes[1] ("get"): both serve POST /' },
      { path: 'routes[5]', message: 'conflicts with routes[4] ("every-2"): both serve every method on /x' },
    ]);
  });

  it('allows the same path with other methods, a static path beside a parameter, and HEAD beside GET', () => {
    expect(
      routesOf([
        { name: 'read', methods: ['GET'], path: '/:id' },
        { name: 'write', methods: ['PUT', 'PATCH'], path: '/:id' },
        { name: 'mine', methods: ['GET'], path: '/mine' },
        { name: 'head', methods: ['HEAD'], path: '/:id' },
        { name: 'rest', path: '/:id/*' },
      ]),
    ).toHaveLength(5);
  });

  it('erases parameter names in the path shape', () => {
    expect(routePathShape('/:id/items/:itemId/*')).toBe('/:/items/:/*');
  });
});
