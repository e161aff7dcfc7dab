// The deploy API's JSON body reader: duplicate object members are refused with their field
// path (JSON.parse would keep the last one), in the route's path format, at apply size too.
import { formatPath, toJsonPointer, type PathFormat } from '@gw/api-schema';
import express from 'express';
import inject from 'light-my-request';
import { describe, expect, it } from 'vitest';
import { jsonBody, jsonStructureProblem, MAX_JSON_DEPTH } from './json-body.js';

const firstDuplicateKey = (text: string) => {
  const p = jsonStructureProblem(text);
  return p?.kind === 'duplicate-key' ? p.path : undefined;
};

function app(pathFormat?: PathFormat): express.Express {
  const a = express();
  a.post('/', jsonBody({ limit: 32 * 1024 * 1024, ...(pathFormat ? { pathFormat } : {}) }), (req, res) => {
    res.json({ body: req.body as unknown });
  });
  return a;
}

function post(a: express.Express, payload: string) {
  return inject(a, { method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
}

describe('jsonStructureProblem', () => {
  it('finds a member given twice in one object, at any depth, with its path', () => {
    expect(firstDuplicateKey('{"a":1,"a":2}')).toEqual(['a']);
    expect(firstDuplicateKey('{"upstream":{"targets":[{"url":"x"},{"url":"y","url":"z"}]}}')).toEqual(['upstream', 'targets', 1, 'url']);
    // Escapes are compared decoded: "\u0061" is "a".
    expect(firstDuplicateKey('{"a":1,"\\u0061":2}')).toEqual(['a']);
    // The first duplicate in document order wins.
    expect(firstDuplicateKey('{"x":{"b":1,"b":2},"x":3}')).toEqual(['x', 'b']);
  });

  it('accepts the same name in different objects, and non-objects', () => {
    expect(firstDuplicateKey('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toBeUndefined();
    expect(firstDuplicateKey('[1,"a",{"k":1},{"k":2}]')).toBeUndefined();
    expect(firstDuplicateKey('"text"')).toBeUndefined();
    expect(firstDuplicateKey('{}')).toBeUndefined();
    expect(firstDuplicateKey('{"__proto__":1,"constructor":2,"toString":3}')).toBeUndefined();
    expect(firstDuplicateKey('{"__proto__":1,"__proto__":2}')).toEqual(['__proto__']);
  });
});

describe('jsonBody and nesting depth', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and answers 400 beyond, even a million deep (no stack overflow)`, async () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    expect(jsonStructureProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonStructureProblem(`{"a":${nested(MAX_JSON_DEPTH)}}`)).toMatchObject({ kind: 'too-deep', path: ['a', ...Array(MAX_JSON_DEPTH - 1).fill(0)] });
    for (const levels of [MAX_JSON_DEPTH + 1, 1_000_000]) {
      const res = await post(app(), `{"a":${'{"b":'.repeat(levels)}1${'}'.repeat(levels)}}`);
      expect(res.statusCode).toBe(400);
      const doc = res.json<{ code: string; errors: { path: string; message: string }[] }>();
      expect(doc.code).toBe('GW_BAD_JSON');
      expect(doc.errors[0]!.message).toBe(`nested deeper than ${MAX_JSON_DEPTH} levels`);
      expect(doc.errors[0]!.path).toBe(['a', ...Array(MAX_JSON_DEPTH - 1).fill('b')].join('.'));
    }
  });
});

describe('jsonBody and duplicate keys', () => {
  it('answers 400 GW_BAD_JSON with the dotted field path (PUT) and never reaches the handler', async () => {
    const res = await post(app(), '{"name":"orders","upstream":{"targets":[{"url":"http://a"}],"targets":[]}}');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const doc = res.json<{ code: string; detail: string; errors: { path: string; message: string }[] }>();
    expect(doc.code).toBe('GW_BAD_JSON');
    expect(doc.detail).toContain('"targets"');
    expect(doc.errors).toEqual([{ path: 'upstream.targets', message: 'duplicate key' }]);
  });

  it('writes the path as a JSON Pointer where the route asks for it (apply)', async () => {
    const res = await post(app(toJsonPointer), '{"apis":[{"name":"a"},{"name":"b","basePath":"/b","basePath":"/c"}]}');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: unknown[] }>().errors).toEqual([{ path: '/apis/1/basePath', message: 'duplicate key' }]);
  });

  it('still accepts bodies without duplicates', async () => {
    const res = await post(app(formatPath), '{"a":{"b":1},"c":[{"b":2}]}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: { a: { b: 1 }, c: [{ b: 2 }] } });
  });

  it('checks a 20 MiB apply-sized body in linear time: a duplicate after 300 000 members is found', async () => {
    // 300 000 distinct members in one object (a quadratic check would do ~4.5e10 comparisons),
    // plus many small objects, then the duplicate last.
    const members: string[] = [];
    for (let i = 0; i < 300_000; i++) members.push(`"member-${i}-${'p'.repeat(20)}":${i}`);
    const small = Array.from({ length: 100_000 }, (_, i) => `{"name":"api-${i}","basePath":"/p${i}"}`).join(',');
    const body = `{"apis":[${small}],"big":{${members.join(',')},"member-7-${'p'.repeat(20)}":0}}`;
    expect(body.length).toBeGreaterThan(12 * 1024 * 1024);
    const started = performance.now();
    const res = await post(app(toJsonPointer), body);
    const ms = performance.now() - started;
    expect(res.statusCode, res.payload.slice(0, 300)).toBe(400);
    expect(res.json<{ errors: unknown[] }>().errors).toEqual([{ path: `/big/member-7-${'p'.repeat(20)}`, message: 'duplicate key' }]);
    // Generous for a loaded 2-core machine; a quadratic check takes minutes.
    expect(ms).toBeLessThan(15_000);
  });
});
