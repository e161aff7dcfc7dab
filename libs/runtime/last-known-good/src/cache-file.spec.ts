import { createHash } from 'node:crypto';
import { canonicalJson, type ConfigSnapshot } from '@gw/config-contract';
import { plainApi } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { describe, expect, it } from 'vitest';
import { CACHE_FORMAT, decodeCacheFile, encodeCacheFile } from './cache-file.js';

function snapshot(version = 42, port = 8080): ConfigSnapshot {
  return snapshotOf([plainApi('orders', '/orders', [`http://10.0.0.7:${port}`], { hosts: ['api.example.com'] })], version, 3);
}
const meta = { controllerId: 'ctl-1', savedAt: new Date('2025-01-02T03:04:05.678Z') };

/** Replaces the payload and recomputes the checksum, so only the snapshot's own checks can object. */
function withPayload(payload: unknown): Buffer {
  const body = canonicalJson(payload);
  const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return Buffer.from(`{"format":"${CACHE_FORMAT}","checksum":"${checksum}","savedAt":"${meta.savedAt.toISOString()}","controllerId":"ctl-1","payload":${body}}\n`);
}

describe('cache file format', () => {
  it('round-trips a snapshot with its metadata, as one line of JSON with the payload last', () => {
    const { bytes, checksum } = encodeCacheFile(snapshot(), meta);
    const text = bytes.toString();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['format', 'checksum', 'savedAt', 'controllerId', 'payload']);
    expect(parsed).toMatchObject({ format: CACHE_FORMAT, checksum, savedAt: '2025-01-02T03:04:05.678Z', controllerId: 'ctl-1' });
    // The checksum covers exactly the payload bytes as written.
    const payloadText = text.slice(text.indexOf('"payload":') + 10, text.lastIndexOf('}'));
    expect(checksum).toBe(`sha256:${createHash('sha256').update(payloadText).digest('hex')}`);
    const decoded = decodeCacheFile(bytes);
    expect(decoded).toEqual({ ok: true, snapshot: snapshot(), meta, checksum });
  });

  it('keeps a controller id that contains quotes and the payload key without confusing the reader', () => {
    const { bytes } = encodeCacheFile(snapshot(), { ...meta, controllerId: 'x","payload":{}' });
    const decoded = decodeCacheFile(bytes);
    expect(decoded).toMatchObject({ ok: true, meta: { controllerId: 'x","payload":{}' }, snapshot: snapshot() });
  });

  it('parses the payload once on the fast path, and reads any layout it accepts as the whole-file parse does', () => {
    const { bytes } = encodeCacheFile(snapshot(), meta);
    const parse = JSON.parse;
    const parsed: number[] = [];
    JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
      parsed.push(text.length);
      return parse(text, reviver);
    }) as typeof JSON.parse;
    let decoded;
    try {
      decoded = decodeCacheFile(bytes);
    } finally {
      JSON.parse = parse;
    }
    expect(decoded).toMatchObject({ ok: true, snapshot: snapshot() });
    // The head alone, then the payload: nothing as long as the whole file.
    expect(parsed).toHaveLength(2);
    expect(Math.max(...parsed)).toBeLessThan(bytes.length - 100);
    // Whitespace around the members (not what the writer writes, but valid JSON): the whole-file parse reads it.
    const spaced = Buffer.from(bytes.toString().replace('{"format"', '{ "format"').replace(',"payload":', ', "payload":'));
    expect(decodeCacheFile(spaced)).toMatchObject({ ok: true, snapshot: snapshot() });
    // A sound head with a cut payload is reported as the whole-file parse reports it.
    expect(decodeCacheFile(bytes.subarray(0, bytes.length - 40))).toMatchObject({ ok: false, reason: expect.stringContaining('truncated') });
  });

  it('refuses the file truncated at every byte offset', () => {
    const { bytes } = encodeCacheFile(snapshot(), meta);
    // Dropping only the final newline leaves the whole file: that one is still sound.
    for (let len = 0; len < bytes.length - 1; len++) {
      const decoded = decodeCacheFile(bytes.subarray(0, len));
      expect(decoded.ok, `truncated to ${len} bytes`).toBe(false);
    }
    expect(decodeCacheFile(bytes.subarray(0, bytes.length - 1)).ok).toBe(true);
    expect(decodeCacheFile(bytes.subarray(0, 100))).toMatchObject({ ok: false, code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringContaining('truncated') });
    expect(decodeCacheFile(Buffer.alloc(0))).toMatchObject({ ok: false, reason: expect.stringContaining('empty') });
  });

  it('never returns a different snapshot after any single-bit flip anywhere in the file', () => {
    const original = snapshot();
    const { bytes } = encodeCacheFile(original, meta);
    const payloadStart = bytes.indexOf('"payload":') + 10;
    let refused = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = Buffer.from(bytes);
        damaged[i]! ^= 1 << bit;
        const decoded = decodeCacheFile(damaged);
        if (decoded.ok) {
          // Only the unchecksummed header (savedAt, controllerId) may change and still decode.
          expect(i, `flip at byte ${i} bit ${bit} accepted`).toBeLessThan(payloadStart);
          expect(decoded.snapshot).toEqual(original);
        } else refused++;
      }
    }
    expect(refused).toBeGreaterThan(bytes.length * 6);
  });

  it('catches a change inside the payload that keeps valid JSON through the checksum alone', () => {
    const { bytes } = encodeCacheFile(snapshot(42), meta);
    // version 42 → 43: valid JSON, a valid snapshot, same content hash; only the checksum can tell.
    const damaged = Buffer.from(bytes.toString().replace('"version":42', '"version":43'));
    expect(JSON.parse(damaged.toString()).payload.version).toBe(43);
    expect(decodeCacheFile(damaged)).toMatchObject({ ok: false, code: 'GW_CONFIG_CACHE_CORRUPT', reason: expect.stringMatching(/^checksum mismatch/) });
  });

  it('refuses wrong format markers, missing fields, reformatting and bad UTF-8', () => {
    const good = JSON.parse(encodeCacheFile(snapshot(), meta).bytes.toString());
    const cases: [unknown, RegExp][] = [
      [{ ...good, format: 'gw.runtime-config-cache.v1' }, /unknown format marker "gw\.runtime-config-cache\.v1"/],
      [{ ...good, format: undefined }, /unknown format marker null/],
      [{ ...good, checksum: 'md5:abc' }, /checksum field/],
      [{ ...good, savedAt: 'yesterday' }, /savedAt/],
      [{ ...good, controllerId: 7 }, /controllerId/],
      [[good], /not a JSON object/],
      [{ format: good.format, checksum: good.checksum, savedAt: good.savedAt, controllerId: good.controllerId }, /payload member is missing/],
    ];
    for (const [file, reason] of cases) {
      expect(decodeCacheFile(Buffer.from(JSON.stringify(file))), JSON.stringify(file).slice(0, 80)).toMatchObject({ ok: false, reason: expect.stringMatching(reason) });
    }
    // Pretty-printed: the same data, other bytes; the checksum no longer matches what is on disk.
    expect(decodeCacheFile(Buffer.from(JSON.stringify(good, null, 2)))).toMatchObject({ ok: false, reason: expect.stringMatching(/checksum mismatch/) });
    const bytes = encodeCacheFile(snapshot(), meta).bytes;
    const badUtf8 = Buffer.concat([bytes.subarray(0, 20), Buffer.from([0xc3, 0x28]), bytes.subarray(22)]);
    expect(decodeCacheFile(badUtf8)).toMatchObject({ ok: false, reason: expect.stringContaining('UTF-8') });
  });

  it('refuses a checksummed payload that is not a snapshot or fails the snapshot checks', () => {
    const s = snapshot();
    expect(decodeCacheFile(withPayload(s)).ok).toBe(true);
    expect(decodeCacheFile(withPayload({ ...s, hash: snapshot(42, 9090).hash }))).toMatchObject({ ok: false, reason: expect.stringContaining('GW_SNAPSHOT_HASH_MISMATCH') });
    const misordered = snapshotOf([plainApi('a', '/a', ['http://10.0.0.7:1']), plainApi('b', '/b', ['http://10.0.0.7:1'])]);
    const swapped = { ...misordered, resources: [...misordered.resources].reverse() };
    expect(decodeCacheFile(withPayload(swapped))).toMatchObject({ ok: false, reason: expect.stringContaining('GW_SNAPSHOT_INVALID') });
    expect(decodeCacheFile(withPayload({ ...s, version: -1 }))).toMatchObject({ ok: false, reason: expect.stringContaining('version') });
    expect(decodeCacheFile(withPayload({ ...s, epoch: 1.5 }))).toMatchObject({ ok: false, reason: expect.stringContaining('epoch') });
    expect(decodeCacheFile(withPayload({ ...s, hash: 'ABC' }))).toMatchObject({ ok: false, reason: expect.stringContaining('hash') });
    expect(decodeCacheFile(withPayload({ ...s, resources: null }))).toMatchObject({ ok: false, reason: expect.stringContaining('resources') });
    expect(decodeCacheFile(withPayload({ ...s, resources: [{ ...s.resources[0]!, version: 'one' }] }))).toMatchObject({ ok: false, reason: expect.stringContaining('resource') });
    expect(decodeCacheFile(withPayload('snapshot'))).toMatchObject({ ok: false, reason: expect.stringContaining('not an object') });
  });
});
