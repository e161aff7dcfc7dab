import type { ApiDefinitionInput } from '@gw/api-schema';
import { policiesOf } from '@gw/api-schema/testing';
import { describe, expect, it } from 'vitest';
import { ApiKeySet, hashApiKey } from './api-keys.js';

type KeyInput = NonNullable<NonNullable<NonNullable<ApiDefinitionInput['policies']>['auth']>['apiKey']>['keys'][number];
/** Key entries as operators write them, normalized by the real schema. */
const keysOf = (keys: KeyInput[]) => policiesOf({ auth: { apiKey: { keys } } }).auth!.apiKey!.keys;

describe('ApiKeySet', () => {
  const alice = 'ak_live_5f2b9c0e1d7a4b3c';
  const bob = 'ak_live_0a1b2c3d4e5f6a7b';

  it('maps a valid key to its consumer and refuses an unknown one', () => {
    // An upper-case digest is stored lower-case by the schema.
    const set = new ApiKeySet(keysOf([{ sha256: hashApiKey(alice), consumer: 'alice', id: 'alice-1' }, { sha256: hashApiKey(bob).toUpperCase(), consumer: 'bob' }]));
    expect(set.lookup(alice)).toEqual({ consumer: 'alice', id: 'alice-1' });
    expect(set.lookup(bob)).toEqual({ consumer: 'bob', id: null });
    expect(set.lookup('ak_live_unknown')).toBeUndefined();
    expect(set.lookup(alice.slice(0, -1))).toBeUndefined();
    // The stored hash is not itself a key.
    expect(set.lookup(hashApiKey(alice))).toBeUndefined();
  });

  it('revokes by replacement: the set built from a redeploy no longer knows a removed key', () => {
    const before = new ApiKeySet(keysOf([{ sha256: hashApiKey(alice), consumer: 'alice' }, { sha256: hashApiKey(bob), consumer: 'bob' }]));
    const after = new ApiKeySet(keysOf([{ sha256: hashApiKey(bob), consumer: 'bob' }]));
    expect(before.lookup(alice)?.consumer).toBe('alice');
    expect(after.lookup(alice)).toBeUndefined();
    expect(after.lookup(bob)?.consumer).toBe('bob');
  });

  // A bad key list never reaches the runtime: the schema refuses it (deploy API and runtime alike).
  it.each([
    [[{ sha256: 'abc', consumer: 'a' }], /keys\[0\]\.sha256.*64 hex digits/],
    [[{ sha256: hashApiKey('x'), consumer: 'bad consumer' }], /keys\[0\]\.consumer/],
    [[{ sha256: hashApiKey('x'), consumer: 'a' }, { sha256: hashApiKey('x').toUpperCase(), consumer: 'b' }], /keys\[1\]\.sha256.*the same key twice/],
  ])('a bad key list is refused by the schema %#', (entries, why) => {
    expect(() => keysOf(entries)).toThrow(why);
  });
});
