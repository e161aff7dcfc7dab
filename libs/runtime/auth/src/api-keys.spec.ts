import { describe, expect, it } from 'vitest';
import { ApiKeySet, hashApiKey } from './api-keys.js';

describe('ApiKeySet', () => {
  const alice = 'ak_live_5f2b9c0e1d7a4b3c';
  const bob = 'ak_live_0a1b2c3d4e5f6a7b';

  it('maps a valid key to its consumer and refuses an unknown one', () => {
    const set = new ApiKeySet([{ sha256: hashApiKey(alice), consumer: 'alice', id: 'alice-1' }, { sha256: hashApiKey(bob).toUpperCase(), consumer: 'bob' }]);
    expect(set.lookup(alice)).toEqual({ consumer: 'alice', id: 'alice-1' });
    expect(set.lookup(bob)).toEqual({ consumer: 'bob', id: undefined });
    expect(set.lookup('ak_live_unknown')).toBeUndefined();
    expect(set.lookup(alice.slice(0, -1))).toBeUndefined();
    // The stored hash is not itself a key.
    expect(set.lookup(hashApiKey(alice))).toBeUndefined();
  });

  it('revokes by replacement: the set built from a redeploy no longer knows a removed key', () => {
    const before = new ApiKeySet([{ sha256: hashApiKey(alice), consumer: 'alice' }, { sha256: hashApiKey(bob), consumer: 'bob' }]);
    const after = new ApiKeySet([{ sha256: hashApiKey(bob), consumer: 'bob' }]);
    expect(before.lookup(alice)?.consumer).toBe('alice');
    expect(after.lookup(alice)).toBeUndefined();
    expect(after.lookup(bob)?.consumer).toBe('bob');
  });

  it.each([
    [[{ sha256: 'abc', consumer: 'a' }], /64 hex digits/],
    [[{ sha256: hashApiKey('x'), consumer: 'bad consumer' }], /consumer/],
    [[{ sha256: hashApiKey('x'), consumer: 'a' }, { sha256: hashApiKey('x'), consumer: 'b' }], /repeats a key/],
  ])('refuses a bad key list %#', (entries, why) => {
    expect(() => new ApiKeySet(entries)).toThrow(why);
  });
});
