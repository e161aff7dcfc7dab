import { describe, expect, it } from 'vitest';
import { replayableHeaders, ResponseRecorder } from './stored-response.js';

describe('replayableHeaders', () => {
  it('keeps end-to-end headers (repeated ones per value) and drops per-connection and per-response ones', () => {
    expect(
      replayableHeaders({
        'Content-Type': 'application/json',
        'set-cookie': ['a=1', 'b=2'],
        'content-length': '12',
        connection: 'keep-alive',
        'transfer-encoding': 'chunked',
        date: 'x',
        'x-request-id': 'r1',
        location: '/orders/7',
        'x-count': 3,
      }),
    ).toEqual([
      ['content-type', 'application/json'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['location', '/orders/7'],
      ['x-count', '3'],
    ]);
  });
});

describe('ResponseRecorder', () => {
  it('keeps a body up to the cap, and only "too large" past it', () => {
    const small = new ResponseRecorder(5);
    small.write('ab');
    small.write(Buffer.from('cde'));
    expect(small.body()?.toString()).toBe('abcde');
    const big = new ResponseRecorder(5);
    big.write('abc');
    big.write('def');
    big.write('g');
    expect(big.oversize).toBe(true);
    expect(big.body()).toBeUndefined();
  });
});
