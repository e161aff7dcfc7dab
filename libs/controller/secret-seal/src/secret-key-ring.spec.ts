import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSealed, isSealed, parseSealed, parseSecretKey, SecretKeyRing, secretKeyId, sealedKeyId } from './index.js';

const key = () => randomBytes(32);
const secret = 'aGVsbG8td29ybGQtdGhpcy1pcy1hbi1obWFjLXNlY3JldA';

describe('SecretKeyRing', () => {
  it('seals to a v1 envelope naming the key id, and opens it again', () => {
    const ring = new SecretKeyRing(key());
    const sealed = ring.seal(secret);
    expect(sealed).toMatch(/^\$sealed:v1:[0-9a-f]{16}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain(secret);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(ring.currentKid);
    expect(ring.unseal(sealed)).toBe(secret);
    expect(ring.open(sealed)).toBe(secret);
    expect(ring.open(secret)).toBe(secret);
    // A fresh IV each time: equal plaintexts do not give equal envelopes.
    expect(ring.seal(secret)).not.toBe(sealed);
  });

  it.each([
    ['iv', 'iv'],
    ['ciphertext', 'ciphertext'],
    ['tag', 'tag'],
  ] as const)('refuses a value whose %s was changed (GW_SECRET_AUTH_FAILED)', (_, part) => {
    const ring = new SecretKeyRing(key());
    const parts = parseSealed(ring.seal(secret));
    parts[part][0] = parts[part][0]! ^ 0x01;
    expect(() => ring.unseal(formatSealed(parts))).toThrow(expect.objectContaining({ code: 'GW_SECRET_AUTH_FAILED', details: { kid: ring.currentKid } }));
  });

  it('refuses a value sealed under a key it does not hold, naming the key id (GW_SECRET_KEY_UNKNOWN)', () => {
    const first = new SecretKeyRing(key());
    const sealed = first.seal(secret);
    const other = new SecretKeyRing(key());
    expect(() => other.unseal(sealed)).toThrow(expect.objectContaining({ code: 'GW_SECRET_KEY_UNKNOWN', message: expect.stringContaining(first.currentKid) }));
  });

  it('refuses a key id swapped onto another key’s value: the id is authenticated', () => {
    const a = key();
    const b = key();
    const ring = new SecretKeyRing(a, [b]);
    const parts = parseSealed(ring.seal(secret));
    expect(() => ring.unseal(formatSealed({ ...parts, kid: secretKeyId(b) }))).toThrow(expect.objectContaining({ code: 'GW_SECRET_AUTH_FAILED' }));
  });

  it('opens values of previous keys and seals under the current one (rotation)', () => {
    const old = key();
    const sealedOld = new SecretKeyRing(old).seal(secret);
    const ring = new SecretKeyRing(key(), [old]);
    expect(ring.unseal(sealedOld)).toBe(secret);
    expect(sealedKeyId(ring.seal(secret))).toBe(ring.currentKid);
    expect(ring.kids).toEqual([ring.currentKid, secretKeyId(old)]);
  });

  it.each(['$sealed:v2:0123456789abcdef:a:b:c', '$sealed:v1:short:a:b:c', '$sealed:v1:0123456789abcdef:!!:b:c', '$sealed:v1', '$sealed:v1:0123456789abcdef:AAAA:AAAA:AAAA'])(
    'refuses a malformed envelope %s (GW_SECRET_ENVELOPE_INVALID)',
    (value) => {
      expect(() => new SecretKeyRing(key()).unseal(value)).toThrow(expect.objectContaining({ code: 'GW_SECRET_ENVELOPE_INVALID' }));
    },
  );
});

describe('parseSecretKey', () => {
  const raw = key();
  it.each([
    ['32 raw bytes', raw],
    ['64 hex digits', Buffer.from(raw.toString('hex'))],
    ['64 hex digits and a newline (openssl rand -hex 32)', Buffer.from(`${raw.toString('hex')}\n`)],
    ['upper-case hex and CRLF', Buffer.from(`${raw.toString('hex').toUpperCase()}\r\n`)],
    ['44 base64 characters', Buffer.from(raw.toString('base64'))],
    ['44 base64 characters and a newline (openssl rand -base64 32)', Buffer.from(`${raw.toString('base64')}\n`)],
  ])('reads %s', (_, contents) => {
    expect(parseSecretKey(contents, 'SECRETS_KEY_FILE (/k)').equals(raw)).toBe(true);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['31 raw bytes', randomBytes(31)],
    ['33 raw bytes', randomBytes(33)],
    ['32 raw bytes and a newline', Buffer.concat([randomBytes(32), Buffer.from('\n')])],
    ['62 hex digits', Buffer.from(randomBytes(31).toString('hex'))],
    ['hex with two newlines', Buffer.from(`${raw.toString('hex')}\n\n`)],
    ['base64 of 31 bytes', Buffer.from(randomBytes(31).toString('base64'))],
    ['a passphrase', Buffer.from('correct horse battery staple\n')],
  ])('refuses %s, naming the variable and not the contents', (_, contents) => {
    let thrown: unknown;
    try {
      parseSecretKey(contents, 'SECRETS_KEY_FILE (/k)');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'GW_SECRET_KEY_INVALID', message: expect.stringContaining('SECRETS_KEY_FILE (/k)') });
    if (contents.length > 0) expect((thrown as Error).message).not.toContain(contents.toString('latin1').trim());
  });

  it('names a key by a stable id that is not the key', () => {
    expect(secretKeyId(raw)).toMatch(/^[0-9a-f]{16}$/);
    expect(secretKeyId(Buffer.from(raw))).toBe(secretKeyId(raw));
    expect(raw.toString('hex')).not.toContain(secretKeyId(raw));
  });
});
