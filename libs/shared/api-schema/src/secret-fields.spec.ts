import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listSecretFields, mapSecretFields, secretFieldPaths } from './index.js';

const secret = randomBytes(32).toString('base64url');
const def = {
  name: 'orders',
  policies: { auth: { jwt: { keys: [{ kty: 'RSA', kid: 'rs', n: 'x', e: 'AQAB' }, { kty: 'oct', kid: 'hs-1', k: secret }] } } },
};

describe('secret fields (the schema mark)', () => {
  it('finds the HMAC secret of an inline JWK from the mark in the schema', () => {
    expect(secretFieldPaths()).toEqual([['policies', 'auth', 'jwt', 'keys', '[]', 'k']]);
  });

  it('maps every secret with its field path, copying only what changes', () => {
    const mapped = mapSecretFields(def, (s, path) => `${path}=${s.length}`);
    expect(mapped.policies.auth.jwt.keys[1]).toEqual({ kty: 'oct', kid: 'hs-1', k: 'policies.auth.jwt.keys[1].k=43' });
    expect(mapped.policies.auth.jwt.keys[0]).toBe(def.policies.auth.jwt.keys[0]);
    expect(def.policies.auth.jwt.keys[1]!.k).toBe(secret);
    expect(mapSecretFields(def, (s) => s)).toBe(def);
  });

  it('lists secrets in values of any shape without throwing', () => {
    expect(listSecretFields(def)).toEqual([{ path: 'policies.auth.jwt.keys[1].k', secret }]);
    for (const odd of [null, 3, 'x', [], { policies: null }, { policies: { auth: { jwt: { keys: 'no' } } } }, { policies: { auth: { jwt: { keys: [null, { k: 7 }] } } } }]) {
      expect(listSecretFields(odd)).toEqual([]);
    }
  });
});
