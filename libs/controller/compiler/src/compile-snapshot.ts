import { validateApiDefinition, type ApiDefinition, type HashOn, type UpstreamDefinition } from '@gw/api-schema';
import { compilePolicies, compileRateLimit } from './compile-policies.js';

/** How an any-host claim reads in problems: wildcard patterns start with `*.`, so this never collides. */
const ANY_HOST = '*';
import {
  DISABLED_CIRCUIT_BREAKER,
  DISABLED_HEALTH_CHECK,
  DISABLED_OUTLIER_DETECTION,
  NO_HASH,
  hashSnapshotContent,
  type Snapshot,
  type SnapshotApi,
  type SnapshotContent,
  type SnapshotHashOn,
  type SnapshotUpstream,
} from '@gw/config-contract';

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
    // Stored definitions pass the current validator again: a row written before a field
    // existed gets that field's default, and one that is no longer valid is left out.
    const checked = validateApiDefinition(def, { expectedName: def.name });
    if (!checked.ok) {
      const first = checked.problems[0];
      problems.push({ api: def.name, message: `stored definition is invalid: ${first?.path || '(body)'} ${first?.message ?? ''}`.trimEnd() });
      continue;
    }
    const api = compileApi(checked.value);
    const keys = (api.hosts.length ? api.hosts : [ANY_HOST]).map((h) => `${h}${api.basePath}`);
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

/**
 * One API with every default explicit: a feature that is off becomes its disabled block
 * (`enabled: false`, zeros), an absent string `''`, so the snapshot has no optional
 * fields and survives protobuf byte-identical. Collections whose order carries no
 * meaning (hosts, routes, methods, retry conditions) are sorted.
 */
export function compileApi(def: ApiDefinition): SnapshotApi {
  return {
    name: def.name,
    hosts: [...new Set(def.hosts.map((h) => h.toLowerCase()))].sort(compareCodePoints),
    basePath: def.basePath,
    stripBasePath: def.stripBasePath,
    routes: def.routes
      .map((r) => ({ name: r.name, methods: [...new Set(r.methods)].sort(compareCodePoints), path: r.path, rateLimits: r.rateLimits.map(compileRateLimit) }))
      .sort((a, b) => compareCodePoints(a.name, b.name)),
    upstream: compileUpstream(def.upstream),
    policies: compilePolicies(def.policies),
  };
}

function compileUpstream(up: UpstreamDefinition): SnapshotUpstream {
  const lb = up.loadBalancing;
  return {
    // Target order is the operator's and carries meaning for balancing: keep it.
    targets: up.targets.map((t) => ({ url: t.url, weight: t.weight, zone: t.zone ?? '' })),
    loadBalancing: { algorithm: lb.algorithm, hashOn: compileHashOn(lb.hashOn), zoneAware: lb.zoneAware, minZoneHealthyPercent: lb.minZoneHealthyPercent },
    timeouts: { connectMs: up.timeouts.connectMs, requestMs: up.timeouts.requestMs, totalMs: up.timeouts.totalMs },
    retries: {
      attempts: up.retries.attempts,
      on: [...new Set(up.retries.on)].sort(compareCodePoints),
      backoffBaseMs: up.retries.backoffBaseMs,
      backoffMaxMs: up.retries.backoffMaxMs,
      budgetPercent: up.retries.budgetPercent,
      budgetMinPerSecond: up.retries.budgetMinPerSecond,
    },
    healthCheck: up.healthCheck === null ? { ...DISABLED_HEALTH_CHECK } : { enabled: true, ...pick(up.healthCheck, ['path', 'intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold']) },
    outlierDetection:
      up.outlierDetection === null
        ? { ...DISABLED_OUTLIER_DETECTION }
        : { enabled: true, ...pick(up.outlierDetection, ['consecutiveFailures', 'baseEjectionMs', 'maxEjectionMs', 'maxEjectionPercent']) },
    circuitBreaker:
      up.circuitBreaker === null
        ? { ...DISABLED_CIRCUIT_BREAKER }
        : { enabled: true, ...pick(up.circuitBreaker, ['maxConcurrent', 'maxPending', 'failureRatePercent', 'windowMs', 'minRequests', 'openMs', 'halfOpenRequests']) },
    hostRewrite: up.hostRewrite ?? '',
  };
}

function compileHashOn(hashOn: HashOn | null): SnapshotHashOn {
  if (hashOn === null) return { ...NO_HASH };
  if ('header' in hashOn) return { source: 'header', name: hashOn.header.toLowerCase() };
  if ('cookie' in hashOn) return { source: 'cookie', name: hashOn.cookie };
  return { source: 'client-ip', name: '' };
}

/** Only the named fields: a stored definition with extra keys never leaks them into the hash. */
function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}

/** Locale-independent ordering: `localeCompare` may differ between ICU builds. */
function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
