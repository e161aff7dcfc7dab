import { createHash } from 'node:crypto';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { canonicalJson, verifySnapshot, type ConfigSnapshot } from '@gw/config-contract';

/** The cache file's name inside `CONFIG_CACHE_DIR`. */
export const CACHE_FILE_NAME = 'snapshot.json';

/**
 * Names a reader must understand to trust the file; bump it when the layout changes. v2:
 * the config as resources (v1 files, one mirrored snapshot message, read as unknown: the
 * runtime waits for a controller, as with any file it cannot use).
 */
export const CACHE_FORMAT = 'gw.runtime-config-cache.v2';

export interface CacheFileMeta {
  /** The controller replica the snapshot came from. */
  controllerId: string;
  savedAt: Date;
}

export type DecodedCacheFile =
  | { ok: true; snapshot: ConfigSnapshot; meta: CacheFileMeta; checksum: string }
  | { ok: false; code: ErrorCode; reason: string };

// The payload is written last so that its exact bytes sit between this key and the closing brace.
const PAYLOAD_KEY = Buffer.from('"payload":');
const CHECKSUM_RE = /^sha256:[0-9a-f]{64}$/;
const HASH_RE = /^[0-9a-f]{64}$/;

/**
 * One JSON object on one line:
 * `{"format":…,"checksum":"sha256:<hex>","savedAt":…,"controllerId":…,"payload":<snapshot>}`.
 * The payload is the snapshot in canonical JSON and the checksum is the SHA-256 of
 * exactly those bytes as they appear in the file, so a reader verifies what it will use
 * before it parses it.
 */
export function encodeCacheFile(snapshot: ConfigSnapshot, meta: CacheFileMeta): { bytes: Buffer; checksum: string } {
  const payload = Buffer.from(canonicalJson({ version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash, resources: snapshot.resources }));
  const checksum = `sha256:${sha256(payload)}`;
  const head = JSON.stringify({
    format: CACHE_FORMAT,
    checksum,
    savedAt: meta.savedAt.toISOString(),
    controllerId: meta.controllerId,
  });
  // head ends with "}": reopen it to append the payload as the last member.
  const bytes = Buffer.concat([Buffer.from(head.slice(0, -1) + ','), PAYLOAD_KEY, payload, Buffer.from('}\n')]);
  return { bytes, checksum };
}

/**
 * Decides whether a file's bytes can be trusted. Never throws: every defect (truncation,
 * bad UTF-8 or JSON, unknown format, checksum mismatch, a payload that is not a valid
 * snapshot or does not hash to its announced hash) comes back as a reason. The resources
 * themselves are validated when the runtime applies them, as from a controller.
 */
export function decodeCacheFile(bytes: Buffer): DecodedCacheFile {
  if (bytes.length === 0) return corrupt('the file is empty (0 bytes)');
  const { start, end } = payloadBounds(bytes);
  // Fast path: parse the small head alone, then the payload once, after its checksum
  // matched; parsing the whole file first (10 MB at 10,000 APIs) would parse the payload
  // twice. Any defect falls back to the whole-file parse first, whose reasons say what is
  // wrong (a damaged file costs the double parse; a sound one never does).
  if (start > 1 && bytes[0] === 0x7b /* { */ && bytes[start - 1] === 0x2c /* , */) {
    let head: unknown;
    try {
      head = JSON.parse(fatalUtf8(bytes.subarray(0, start - 1)) + '}');
    } catch {
      head = undefined;
    }
    if (head !== undefined) {
      const decoded = decodeWithHead(bytes, head, start, end);
      if (decoded.ok) return decoded;
    }
  }
  let text: string;
  try {
    text = fatalUtf8(bytes);
  } catch {
    return corrupt('the file is not valid UTF-8');
  }
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (err) {
    const truncated = !text.trimEnd().endsWith('}');
    return corrupt(`${truncated ? 'the file is truncated' : 'the file is damaged'}: not valid JSON (${errorMessage(err)}; ${bytes.length} bytes)`);
  }
  return decodeWithHead(bytes, file, start, end);
}

function corrupt(reason: string): DecodedCacheFile {
  return { ok: false, code: ErrorCodes.GW_CONFIG_CACHE_CORRUPT, reason };
}

function fatalUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/**
 * Where the exact payload bytes are: after the first "payload": key (no JSON string can
 * hold that sequence unescaped) up to the final closing brace (`end` is past it).
 */
function payloadBounds(bytes: Buffer): { start: number; end: number } {
  const start = bytes.indexOf(PAYLOAD_KEY);
  let end = bytes.length;
  while (end > 0 && isJsonSpace(bytes[end - 1]!)) end--;
  return { start, end };
}

/** The head's members checked, then the payload's checksum, then the payload parsed and verified. */
function decodeWithHead(bytes: Buffer, file: unknown, start: number, end: number): DecodedCacheFile {
  if (file === null || typeof file !== 'object' || Array.isArray(file)) return corrupt('the file is not a JSON object');
  const head = file as Record<string, unknown>;
  if (head['format'] !== CACHE_FORMAT) return corrupt(`unknown format marker ${JSON.stringify(head['format'] ?? null)} (expected "${CACHE_FORMAT}")`);
  const checksum = head['checksum'];
  if (typeof checksum !== 'string' || !CHECKSUM_RE.test(checksum)) return corrupt('the checksum field is missing or not "sha256:<64 hex digits>"');
  const savedAt = typeof head['savedAt'] === 'string' ? new Date(head['savedAt']) : undefined;
  if (!savedAt || Number.isNaN(savedAt.getTime())) return corrupt('the savedAt field is missing or not a timestamp');
  const controllerId = head['controllerId'];
  if (typeof controllerId !== 'string') return corrupt('the controllerId field is missing or not a string');

  if (start < 0 || bytes[end - 1] !== 0x7d /* } */ || start + PAYLOAD_KEY.length >= end - 1) return corrupt('the payload member is missing or not last');
  const payloadBytes = bytes.subarray(start + PAYLOAD_KEY.length, end - 1);
  const actual = `sha256:${sha256(payloadBytes)}`;
  if (actual !== checksum) return corrupt(`checksum mismatch: the file says ${checksum}, the payload hashes to ${actual}`);

  let payload: unknown;
  try {
    payload = JSON.parse(fatalUtf8(payloadBytes));
  } catch (err) {
    return corrupt(`the payload is not valid JSON (${errorMessage(err)})`);
  }
  const shape = snapshotShapeProblem(payload);
  if (shape) return corrupt(`the payload is not a snapshot: ${shape}`);
  const snapshot = payload as ConfigSnapshot;
  const verdict = verifySnapshot(snapshot);
  if (!verdict.ok) return corrupt(`the payload fails verification (${verdict.code}): ${verdict.message}`);
  return { ok: true, snapshot, meta: { controllerId, savedAt }, checksum };
}

function snapshotShapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const s = value as Record<string, unknown>;
  if (!Number.isSafeInteger(s['version']) || (s['version'] as number) < 0) return 'version must be a non-negative integer';
  if (!Number.isSafeInteger(s['epoch']) || (s['epoch'] as number) < 0) return 'epoch must be a non-negative integer';
  if (typeof s['hash'] !== 'string' || !HASH_RE.test(s['hash'])) return 'hash must be 64 lower-case hex digits';
  if (!Array.isArray(s['resources'])) return 'resources must be a list';
  for (const r of s['resources'] as unknown[]) {
    if (r === null || typeof r !== 'object') return 'every resource must be an object';
    const { type, name, version, hash, content } = r as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string' || typeof content !== 'string' || typeof hash !== 'string' || !Number.isSafeInteger(version)) {
      return 'every resource needs a string type, name, hash and content and an integer version';
    }
  }
  return undefined;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
