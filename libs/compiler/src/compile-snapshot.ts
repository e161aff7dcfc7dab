import type { ApiDefinition } from '@gw/api-model';
import { hashSnapshotContent, type Snapshot, type SnapshotApi, type SnapshotContent } from '@gw/snapshot';

export interface CompilerInput {
  version: number;
  epoch: number;
  apis: readonly ApiDefinition[];
}

/** An API left out of the snapshot, and why. Config problems are data, not exceptions. */
export interface CompileProblem {
  api: string;
  message: string;
}

export interface CompileResult {
  snapshot: Snapshot;
  problems: CompileProblem[];
}

/**
 * The desired state → the runtime snapshot. Pure and deterministic: the output depends
 * only on the input's values, never on its order, so every replica reading the same
 * database state produces byte-identical content and the same hash.
 *
 * When two APIs claim the same host + base path, the one whose name sorts first keeps
 * the route and the other is left out with a problem (like Traefik's disabled routers):
 * one bad definition never takes the rest of the fleet's config down with it.
 */
export function compileSnapshot(input: CompilerInput): CompileResult {
  const sorted = [...input.apis].sort((a, b) => compareCodePoints(a.name, b.name));
  const apis: SnapshotApi[] = [];
  const problems: CompileProblem[] = [];
  const claimed = new Map<string, string>();
  let previousName: string | undefined;
  for (const def of sorted) {
    if (def.name === previousName) {
      problems.push({ api: def.name, message: 'duplicate API name in the desired state' });
      continue;
    }
    previousName = def.name;
    const api = compileApi(def);
    const keys = (api.hosts.length ? api.hosts : ['*']).map((h) => `${h}${api.basePath}`);
    const owner = keys.map((k) => claimed.get(k)).find((o) => o !== undefined);
    if (owner !== undefined) {
      problems.push({ api: def.name, message: `route ${keys.join(', ')} is already served by API "${owner}"` });
      continue;
    }
    for (const k of keys) claimed.set(k, def.name);
    apis.push(api);
  }
  const content: SnapshotContent = { apis };
  return {
    snapshot: { version: input.version, epoch: input.epoch, hash: hashSnapshotContent(content), content },
    problems,
  };
}

function compileApi(def: ApiDefinition): SnapshotApi {
  return {
    name: def.name,
    hosts: [...new Set(def.hosts.map((h) => h.toLowerCase()))].sort(compareCodePoints),
    basePath: def.basePath,
    stripBasePath: def.stripBasePath,
    upstream: {
      // Target order is the operator's and carries meaning for balancing: keep it.
      targets: def.upstream.targets.map((t) => ({ url: t.url, weight: t.weight })),
      connectTimeoutMs: def.upstream.timeouts.connectMs,
      requestTimeoutMs: def.upstream.timeouts.requestMs,
    },
  };
}

/** Locale-independent ordering: `localeCompare` may differ between ICU builds. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
