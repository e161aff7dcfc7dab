import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE } from './cache-permissions.js';

/**
 * Next to the last-known-good snapshot: the definitions this runtime build decoded from
 * its resources, by content hash. Decoding 10,000 definitions with the API schema is most
 * of a boot from the cache; a definition decoded by the very same build (the same schema
 * code: the `fingerprint` the caller gives) from the very same content (the hash, which
 * the snapshot's loader verifies) is the same definition, so a boot can take it from here.
 *
 * Trusted only whole: the file carries its build fingerprint and a SHA-256 of its payload,
 * and any mismatch, damage or doubt makes the loader return nothing (the caller then decodes
 * every resource in full). A missing entry (an API changed since the file was written) is
 * decoded in full too. It is written by the runtime after the fact, off the ready path.
 *
 * The payload is `{"blocks": [...], "definitions": {hash: definition}}`: the caller may
 * write the blocks its definitions have in common once and refer to them (the runtime's
 * `encodeDefinitions`); this file keeps both as they are given.
 */
export const DECODED_FILE_NAME = 'decoded-definitions.json';
const FORMAT = 'gw-decoded-definitions/2';

interface Head {
  format: string;
  fingerprint: string;
  /** `sha256:<hex>` of the payload line. */
  checksum: string;
  entries: number;
}

export type LoadedDefinitions = { ok: true; blocks: unknown[]; definitions: ReadonlyMap<string, unknown> } | { ok: false; reason: string };

/** Writes `entries` (content hash → decoded definition) and the `blocks` they refer to atomically (temp file, fsync, rename). */
export async function writeDecodedDefinitions(dir: string, fingerprint: string, entries: Iterable<readonly [string, unknown]>, blocks: readonly unknown[] = []): Promise<{ bytes: number; entries: number }> {
  const definitions: Record<string, unknown> = {};
  let count = 0;
  for (const [hash, definition] of entries) {
    definitions[hash] = definition;
    count++;
  }
  const body = JSON.stringify({ blocks, definitions });
  const head: Head = { format: FORMAT, fingerprint, checksum: checksumOf(body), entries: count };
  const text = `${JSON.stringify(head)}\n${body}`;
  const file = path.join(path.resolve(dir), DECODED_FILE_NAME);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', CACHE_FILE_MODE);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(temp, file);
  return { bytes: Buffer.byteLength(text), entries: count };
}

/** The decoded definitions, when the file exists, was written by a build with this `fingerprint`, and is intact. */
export async function loadDecodedDefinitions(dir: string, fingerprint: string): Promise<LoadedDefinitions> {
  let text: string;
  try {
    text = await readFile(path.join(path.resolve(dir), DECODED_FILE_NAME), 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, reason: e.code === 'ENOENT' ? 'no file' : `cannot be read: ${e.code ?? e.message}` };
  }
  const newline = text.indexOf('\n');
  if (newline < 0) return { ok: false, reason: 'no head line' };
  let head: Partial<Head>;
  try {
    head = JSON.parse(text.slice(0, newline)) as Partial<Head>;
  } catch {
    return { ok: false, reason: 'the head is not JSON' };
  }
  if (head.format !== FORMAT) return { ok: false, reason: `format ${String(head.format)}, not ${FORMAT}` };
  // Checked first and cheaply: a file from another build (an upgrade) is not even hashed.
  if (head.fingerprint !== fingerprint) return { ok: false, reason: 'written by another build of the API schema' };
  const body = text.slice(newline + 1);
  if (checksumOf(body) !== head.checksum) return { ok: false, reason: 'checksum mismatch' };
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the payload is not JSON' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, reason: 'the payload is not an object' };
  const { blocks, definitions: byHash } = payload as { blocks?: unknown; definitions?: unknown };
  if (!Array.isArray(blocks)) return { ok: false, reason: 'the payload has no list of blocks' };
  if (typeof byHash !== 'object' || byHash === null || Array.isArray(byHash)) return { ok: false, reason: 'the payload has no definitions object' };
  const definitions = new Map(Object.entries(byHash));
  if (definitions.size !== head.entries) return { ok: false, reason: `${definitions.size} entries, the head says ${String(head.entries)}` };
  return { ok: true, blocks, definitions };
}

function checksumOf(body: string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
