import { createHash } from 'node:crypto';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { compareResources, contentHash, stateHash, type ConfigResource, type ConfigSnapshot } from '@gw/config-contract';

/** The append log's name inside `CONFIG_CACHE_DIR`, next to the base file (`snapshot.json`). */
export const CACHE_LOG_NAME = 'snapshot.log';

/**
 * The append log: what changed since the base file was written, one record per applied
 * snapshot, so a single-API deploy on top of 10,000 APIs writes one API, not 10 MB.
 *
 * Each record is one line: `<sha256 hex of the body> <body>\n`, the body being JSON:
 * `{"base":"sha256:<base file checksum>","seq":n,"version":…,"epoch":…,"hash":"<state hash
 * after this record>","savedAt":…,"controllerId":…,"put":[resource…],"remove":[{"type","name"}]}`.
 * A `put` resource is the whole resource (type, name, version, hash, content), added or
 * replaced; `remove` names resources that left. The checksum covers every byte of the
 * body, so a flipped bit anywhere in a record is caught.
 *
 * Reading (base + replay): records apply in order on top of the base. The last line
 * without its newline is a torn append (a crash mid-write) and is ignored: the state is
 * then the one the previous record (or the base) describes, a state this runtime did
 * apply. Any other defect refuses the whole cache (GW_CONFIG_CACHE_CORRUPT): a complete
 * record whose checksum does not match, a body that is not a record, a record for another
 * base or out of sequence after the first, a `put` whose content does not hash to its
 * hash, a `remove` of a resource the state does not hold, and a replayed state that does
 * not hash to the last record's state hash. A log whose *first* record names another base
 * is a leftover of a compaction that crashed before removing it (the base it extends was
 * already replaced): it is ignored, the base alone is the state.
 */
export interface LogRecord {
  readonly base: string;
  readonly seq: number;
  readonly version: number;
  readonly epoch: number;
  readonly hash: string;
  readonly savedAt: Date;
  readonly controllerId: string;
  readonly put: readonly ConfigResource[];
  readonly remove: readonly { type: string; name: string }[];
}

/** What changed from one snapshot to the next: resources added or replaced (content or version), and those that left. */
export interface SnapshotChanges {
  put: ConfigResource[];
  remove: { type: string; name: string }[];
}

/**
 * The changes from `before` to `after`, both sorted by type and name: one merge walk; a
 * resource object both hold (the runtime keeps unchanged ones across configs) is skipped
 * at the cost of one comparison.
 */
export function snapshotChanges(before: ConfigSnapshot, after: ConfigSnapshot): SnapshotChanges {
  const put: ConfigResource[] = [];
  const remove: { type: string; name: string }[] = [];
  const a = before.resources;
  const b = after.resources;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x !== undefined && x === y) {
      i++;
      j++;
      continue;
    }
    const order = x === undefined ? 1 : y === undefined ? -1 : compareResources(x, y);
    if (order < 0) {
      remove.push({ type: x!.type, name: x!.name });
      i++;
    } else if (order > 0) {
      put.push(y!);
      j++;
    } else {
      if (x!.hash !== y!.hash || x!.version !== y!.version) put.push(y!);
      i++;
      j++;
    }
  }
  return { put, remove };
}

/** One record as the bytes appended to the log. */
export function encodeLogRecord(record: LogRecord): Buffer {
  const body = JSON.stringify({
    base: record.base,
    seq: record.seq,
    version: record.version,
    epoch: record.epoch,
    hash: record.hash,
    savedAt: record.savedAt.toISOString(),
    controllerId: record.controllerId,
    put: record.put.map((r) => ({ type: r.type, name: r.name, version: r.version, hash: r.hash, content: r.content })),
    remove: record.remove.map((r) => ({ type: r.type, name: r.name })),
  });
  return Buffer.from(`${sha256(body)} ${body}\n`);
}

export type ReplayedLog =
  | {
      ok: true;
      snapshot: ConfigSnapshot;
      /** Records applied. */
      records: number;
      /** Bytes of the records applied (the log's sound length). */
      bytes: number;
      /** Bytes of a torn last record, ignored (0 when none). */
      tornBytes: number;
      /** The log belongs to an older base and was ignored. */
      stale: boolean;
      /** From the last record applied; undefined when none was. */
      savedAt: Date | undefined;
      controllerId: string | undefined;
    }
  | { ok: false; code: ErrorCode; reason: string };

/**
 * The base snapshot with the log's records applied, verified (see `LogRecord`). Never
 * throws. `baseChecksum` is the base file's checksum (`sha256:<hex>`), which records name.
 */
export function replayLog(base: ConfigSnapshot, baseChecksum: string, log: Buffer): ReplayedLog {
  const corrupt = (reason: string): ReplayedLog => ({ ok: false, code: ErrorCodes.GW_CONFIG_CACHE_CORRUPT, reason: `the log ${CACHE_LOG_NAME}: ${reason}` });
  const none = (stale: boolean, tornBytes: number): ReplayedLog => ({ ok: true, snapshot: base, records: 0, bytes: 0, tornBytes, stale, savedAt: undefined, controllerId: undefined });
  const end = log.lastIndexOf(0x0a) + 1;
  const tornBytes = log.length - end;
  if (end === 0) return none(false, tornBytes);

  let state: Map<string, ConfigResource> | undefined;
  let last: LogRecord | undefined;
  let records = 0;
  for (let start = 0; start < end; ) {
    const newline = log.indexOf(0x0a, start);
    const line = log.subarray(start, newline);
    start = newline + 1;
    const seq = records + 1;
    const at = `record ${seq}`;
    if (line.length < 66 || line[64] !== 0x20) return corrupt(`${at} is not "<sha256> <record>"`);
    const sum = line.subarray(0, 64).toString('latin1');
    const body = line.subarray(65);
    const actual = sha256(body);
    if (actual !== sum) return corrupt(`${at}: checksum mismatch: the record says ${sum}, its bytes hash to ${actual}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return corrupt(`${at} is not valid JSON`);
    }
    const record = recordOf(parsed);
    if (typeof record === 'string') return corrupt(`${at}: ${record}`);
    if (record.base !== baseChecksum) {
      // The first record names another base: a compaction replaced the base and crashed before removing this log.
      if (seq === 1) return none(true, tornBytes);
      return corrupt(`${at} extends base ${record.base}, not this base ${baseChecksum}`);
    }
    if (record.seq !== seq) return corrupt(`${at} carries sequence number ${record.seq}`);
    state ??= new Map(base.resources.map((r) => [keyOf(r), r]));
    for (const r of record.remove) {
      if (!state.delete(keyOf(r))) return corrupt(`${at} removes ${r.type} "${r.name}", which the state does not hold`);
    }
    for (const r of record.put) {
      const hash = contentHash(r.content);
      if (hash !== r.hash) return corrupt(`${at}: ${r.type} "${r.name}" hashes to ${hash}, not the announced ${r.hash}`);
      state.set(keyOf(r), r);
    }
    last = record;
    records = seq;
  }
  const resources = Object.freeze([...state!.values()].sort(compareResources));
  const actual = stateHash(resources);
  if (actual !== last!.hash) return corrupt(`the replayed state hashes to ${actual}, not the ${last!.hash} of record ${records}`);
  const snapshot: ConfigSnapshot = Object.freeze({ version: last!.version, epoch: last!.epoch, hash: last!.hash, resources });
  return { ok: true, snapshot, records, bytes: end, tornBytes, stale: false, savedAt: last!.savedAt, controllerId: last!.controllerId };
}

const HASH_RE = /^[0-9a-f]{64}$/;
const CHECKSUM_RE = /^sha256:[0-9a-f]{64}$/;

/** A parsed record body → the record, or what is wrong with it. */
function recordOf(value: unknown): LogRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const v = value as Record<string, unknown>;
  if (typeof v['base'] !== 'string' || !CHECKSUM_RE.test(v['base'])) return 'base must be "sha256:<64 hex digits>"';
  if (!Number.isSafeInteger(v['seq']) || (v['seq'] as number) < 1) return 'seq must be a positive integer';
  if (!Number.isSafeInteger(v['version']) || (v['version'] as number) < 0) return 'version must be a non-negative integer';
  if (!Number.isSafeInteger(v['epoch']) || (v['epoch'] as number) < 0) return 'epoch must be a non-negative integer';
  if (typeof v['hash'] !== 'string' || !HASH_RE.test(v['hash'])) return 'hash must be 64 lower-case hex digits';
  const savedAt = typeof v['savedAt'] === 'string' ? new Date(v['savedAt']) : undefined;
  if (savedAt === undefined || Number.isNaN(savedAt.getTime())) return 'savedAt must be a timestamp';
  if (typeof v['controllerId'] !== 'string') return 'controllerId must be a string';
  if (!Array.isArray(v['put']) || !Array.isArray(v['remove'])) return 'put and remove must be lists';
  const put: ConfigResource[] = [];
  for (const r of v['put'] as unknown[]) {
    if (r === null || typeof r !== 'object') return 'every put must be a resource';
    const { type, name, version, hash, content } = r as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string' || typeof content !== 'string' || typeof hash !== 'string' || !Number.isSafeInteger(version)) {
      return 'every put needs a string type, name, hash and content and an integer version';
    }
    put.push(Object.freeze({ type, name, version: version as number, hash, content }));
  }
  const remove: { type: string; name: string }[] = [];
  for (const r of v['remove'] as unknown[]) {
    if (r === null || typeof r !== 'object') return 'every remove must name a resource';
    const { type, name } = r as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string') return 'every remove needs a string type and name';
    remove.push({ type, name });
  }
  return { base: v['base'], seq: v['seq'] as number, version: v['version'] as number, epoch: v['epoch'] as number, hash: v['hash'], savedAt, controllerId: v['controllerId'], put, remove };
}

function keyOf(r: { type: string; name: string }): string {
  return `${r.type}\n${r.name}`;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
