import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DECODED_FILE_NAME, loadDecodedDefinitions, writeDecodedDefinitions } from './decoded-definitions.js';

const dirs = tempDirs('gw-decoded-');
afterEach(() => dirs.removeAll());

const ENTRIES: [string, unknown][] = [
  ['a'.repeat(64), { name: 'orders', upstream: { targets: [{ url: 'http://10.0.0.7:8080', weight: 1 }] }, policies: { '\u0000': 0 } }],
  ['b'.repeat(64), { name: 'users', hosts: ['api.example.com'], policies: { '\u0000': 0 } }],
];
/** What the entries refer to (kept as given: the caller's encoding). */
const BLOCKS = [{ cors: { enabled: false } }];

describe('decoded definitions file', () => {
  it('gives back what was written, by content hash, to the build that wrote it, with the cache file mode', async () => {
    const dir = dirs.make();
    expect(await writeDecodedDefinitions(dir, 'sha256:build-1', ENTRIES, BLOCKS)).toMatchObject({ entries: 2 });
    const loaded = await loadDecodedDefinitions(dir, 'sha256:build-1');
    expect(loaded).toEqual({ ok: true, blocks: BLOCKS, definitions: new Map(ENTRIES) });
    expect(fs.statSync(path.join(dir, DECODED_FILE_NAME)).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual([DECODED_FILE_NAME]);
  });

  it('gives nothing to another build, for a damaged or cut file, or when there is none', async () => {
    const dir = dirs.make();
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'no file' });
    await writeDecodedDefinitions(dir, 'sha256:build-1', ENTRIES);
    expect(await loadDecodedDefinitions(dir, 'sha256:build-2')).toEqual({ ok: false, reason: 'written by another build of the API schema' });

    const file = path.join(dir, DECODED_FILE_NAME);
    const text = fs.readFileSync(file, 'utf8');
    // One payload character changed (still JSON, still the same shape): the checksum refuses it.
    fs.writeFileSync(file, text.replace('10.0.0.7', '10.0.0.8'));
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'checksum mismatch' });
    fs.writeFileSync(file, text.slice(0, text.length - 10));
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'checksum mismatch' });
    fs.writeFileSync(file, text.slice(0, text.indexOf('\n')));
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'no head line' });
    fs.writeFileSync(file, `{"format":"gw-decoded-definitions/0"}\n{}`);
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toMatchObject({ ok: false, reason: expect.stringContaining('format') });
    // The first format (definitions only, no blocks), as an older build wrote it: refused by its format.
    fs.writeFileSync(file, `{"format":"gw-decoded-definitions/1","fingerprint":"sha256:build-1","checksum":"sha256:x","entries":0}\n{}`);
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'format gw-decoded-definitions/1, not gw-decoded-definitions/2' });
  });

  it('gives nothing for a payload without its list of blocks or its definitions, though intact', async () => {
    const dir = dirs.make();
    const file = path.join(dir, DECODED_FILE_NAME);
    const withPayload = (body: string) => {
      const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      fs.writeFileSync(file, `${JSON.stringify({ format: 'gw-decoded-definitions/2', fingerprint: 'sha256:build-1', checksum, entries: 0 })}\n${body}`);
    };
    withPayload('{"definitions":{}}');
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'the payload has no list of blocks' });
    withPayload('{"blocks":{},"definitions":{}}');
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'the payload has no list of blocks' });
    withPayload('{"blocks":[],"definitions":[]}');
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: false, reason: 'the payload has no definitions object' });
    withPayload('{"blocks":[],"definitions":{}}');
    expect(await loadDecodedDefinitions(dir, 'sha256:build-1')).toEqual({ ok: true, blocks: [], definitions: new Map() });
  });
});
