import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { hashSnapshotContent } from './snapshot-hash.js';
import type { Snapshot, SnapshotContent } from './snapshot.js';

export interface SnapshotProblem {
  /** Where in the content, e.g. `apis[2].upstream.targets[0].url`. */
  path: string;
  message: string;
}

export type SnapshotVerdict =
  | { ok: true }
  | { ok: false; code: ErrorCode; message: string; problems: SnapshotProblem[] };

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Checks everything a runtime relies on before it swaps tables. The controller's
 * validation should make every problem here impossible; this is the runtime's own
 * line of defence against a bad or tampered snapshot (promise 3: never a bad config).
 */
export function validateSnapshotContent(content: SnapshotContent): SnapshotProblem[] {
  const problems: SnapshotProblem[] = [];
  if (content === null || typeof content !== 'object' || !Array.isArray(content.apis)) {
    return [{ path: 'apis', message: 'must be a list' }];
  }
  const names = new Set<string>();
  const routes = new Set<string>();
  content.apis.forEach((api, i) => {
    const at = `apis[${i}]`;
    if (typeof api.name !== 'string' || !NAME_RE.test(api.name)) problems.push({ path: `${at}.name`, message: 'must be a valid API name' });
    else if (names.has(api.name)) problems.push({ path: `${at}.name`, message: `duplicate API name "${api.name}"` });
    else names.add(api.name);
    if (typeof api.basePath !== 'string' || !api.basePath.startsWith('/') || (api.basePath.length > 1 && api.basePath.endsWith('/'))) {
      problems.push({ path: `${at}.basePath`, message: 'must start with "/" and not end with "/"' });
    }
    if (typeof api.stripBasePath !== 'boolean') problems.push({ path: `${at}.stripBasePath`, message: 'must be a boolean' });
    if (!Array.isArray(api.hosts)) problems.push({ path: `${at}.hosts`, message: 'must be a list' });
    else {
      api.hosts.forEach((h, j) => {
        if (typeof h !== 'string' || h.length === 0 || h !== h.toLowerCase()) problems.push({ path: `${at}.hosts[${j}]`, message: 'must be a lower-case host name' });
      });
      for (const host of api.hosts.length ? api.hosts : ['*']) {
        const key = `${host} ${api.basePath}`;
        if (routes.has(key)) problems.push({ path: `${at}.basePath`, message: `route ${host}${api.basePath} is claimed twice` });
        routes.add(key);
      }
    }
    const up = api.upstream;
    if (!up || !Array.isArray(up.targets) || up.targets.length === 0) {
      problems.push({ path: `${at}.upstream.targets`, message: 'must hold at least one target' });
    } else {
      up.targets.forEach((t, j) => {
        if (!isHttpUrl(t.url)) problems.push({ path: `${at}.upstream.targets[${j}].url`, message: 'must be an http or https URL' });
        if (!Number.isInteger(t.weight) || t.weight < 1) problems.push({ path: `${at}.upstream.targets[${j}].weight`, message: 'must be a positive integer' });
      });
    }
    if (up) {
      if (!Number.isInteger(up.connectTimeoutMs) || up.connectTimeoutMs < 1) problems.push({ path: `${at}.upstream.connectTimeoutMs`, message: 'must be a positive integer' });
      if (!Number.isInteger(up.requestTimeoutMs) || up.requestTimeoutMs < 1) problems.push({ path: `${at}.upstream.requestTimeoutMs`, message: 'must be a positive integer' });
    }
  });
  return problems;
}

/** Validates the content and checks that the announced hash is the content's. */
export function verifySnapshot(snapshot: Snapshot): SnapshotVerdict {
  const problems = validateSnapshotContent(snapshot.content);
  if (problems.length > 0) {
    const first = problems[0]!;
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_INVALID,
      message: `snapshot ${snapshot.version} is invalid: ${first.path} ${first.message}` + (problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''),
      problems,
    };
  }
  const actual = hashSnapshotContent(snapshot.content);
  if (actual !== snapshot.hash) {
    return {
      ok: false,
      code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH,
      message: `snapshot ${snapshot.version} announces hash ${snapshot.hash} but its content hashes to ${actual}`,
      problems: [],
    };
  }
  return { ok: true };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}
