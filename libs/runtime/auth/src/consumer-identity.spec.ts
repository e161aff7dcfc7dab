import { describe, expect, it } from 'vitest';
import { queryParamValues, removeQueryParam, setConsumerHeader } from './consumer-identity.js';

describe('setConsumerHeader', () => {
  it('replaces whatever the client sent, and removes it for anonymous requests', () => {
    const headers: Record<string, string | string[] | undefined> = { 'x-consumer-id': 'admin, root', host: 'h' };
    setConsumerHeader(headers, 'X-Consumer-Id', 'alice');
    expect(headers).toEqual({ 'x-consumer-id': 'alice', host: 'h' });
    const anon: Record<string, string | string[] | undefined> = { 'x-consumer-id': 'admin' };
    setConsumerHeader(anon, 'x-consumer-id', undefined);
    expect(anon).toEqual({});
  });
});

describe('removeQueryParam / queryParamValues', () => {
  it('removes every occurrence and keeps every other byte of the target', () => {
    expect(removeQueryParam('/a?x=1&api_key=s3cret&y=%2F+z&api_key=2#f', 'api_key')).toBe('/a?x=1&y=%2F+z#f');
    expect(removeQueryParam('/a?api_key=s', 'api_key')).toBe('/a');
    expect(removeQueryParam('/a?api%5Fkey=s&b', 'api_key')).toBe('/a?b');
    expect(removeQueryParam('/a', 'api_key')).toBe('/a');
    expect(queryParamValues('/a?api_key=a%20b&api_key&x=1', 'api_key')).toEqual(['a b', '']);
  });
});
