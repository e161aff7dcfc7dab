import { z } from 'zod';
import { describeType } from './field-problems.js';
import { integer, normalizedString, nullableStringBase, quote, strictBlock, uniqueList } from './field-kinds.js';
import { hostHeaderProblem } from './host-pattern.js';
import { API_LIMITS as L } from './limits.js';
import { normalizeTargetUrl } from './target-url.js';

const HOUR = L.timeoutMaxMs;
const ms = () => integer(1, HOUR);

export const LOAD_BALANCING_ALGORITHMS = ['round-robin', 'least-request', 'consistent-hash'] as const;
export const RETRY_FAILURE_CONDITIONS = ['connect-failure', 'reset', 'timeout'] as const;

/**
 * What a retry may follow: a failed connect, a connection reset before response headers,
 * a per-try timeout (`requestMs`), or a response status in 500..599 written as a string.
 */
export type RetryCondition = (typeof RETRY_FAILURE_CONDITIONS)[number] | `5${number}`;

/** What consistent hashing hashes: exactly one of a request header (lower-cased), a cookie or the client IP. */
export type HashOn = { header: string } | { cookie: string } | { clientIp: true };

const ZONE_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** RFC 9110 `token`: what a header or cookie name may be made of. */
const TOKEN_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Origin-form path (with an optional query) for health checks: one leading "/", visible ASCII, no fragment. */
const HEALTH_PATH_PATTERN = /^\/(?!\/)[\x21-\x22\x24-\x7e]*$/;
const RETRY_CONDITION_PATTERN = /^(connect-failure|reset|timeout|5\d\d)$/;
const ZONE_MESSAGE = `must be 1-${L.zoneMaxLength} letters, digits, ".", "_" and "-" (the runtimes' ZONE), starting and ending with a letter or digit`;

/**
 * A field that must not be below another (`totalMs` ≥ `requestMs`, …). When omitted it
 * takes its own default raised to the other field, so a partly given block stays
 * consistent; given below it, that is a problem at the field.
 */
function atLeast(given: number | undefined, fallback: number, lower: number, field: string, lowerName: string, ctx: z.RefinementCtx): number {
  const value = given ?? Math.max(fallback, lower);
  if (value < lower) ctx.addIssue({ code: 'custom', path: [field], message: `must be at least ${lowerName} (${lower})`, input: value });
  return value;
}

const Target = strictBlock({
  url: normalizedString(normalizeTargetUrl, z.string().max(L.urlMaxLength)).meta({ description: '`http://host:port` or `https://host:port`, optionally with a path prefix; no query, fragment or credentials. Normalized: lower-case host, default port dropped, no trailing slash.' }),
  weight: integer(1, L.weightMax).default(1).meta({ description: 'Relative weight for balancing.' }),
  zone: nullableStringBase()
    .regex(ZONE_PATTERN, { error: ZONE_MESSAGE })
    .max(L.zoneMaxLength, { error: ZONE_MESSAGE })
    .nullable()
    .default(null)
    .meta({ description: 'The availability zone the target runs in, for zone-aware balancing; `null`: none (never preferred).' }),
});

const HASH_ON_MESSAGE = 'must be an object with exactly one of "header" (a header name), "cookie" (a cookie name) or "clientIp": true';
const hashKeyName = (kind: 'header' | 'cookie') => {
  const message = `must be a ${kind} name: 1-${L.hashKeyNameMaxLength} token characters (letters, digits and !#$%&'*+-.^_\`|~)`;
  return z.string({ error: message }).min(1, { error: message }).max(L.hashKeyNameMaxLength, { error: message }).regex(TOKEN_PATTERN, { error: message });
};

const HashOnBlock = z
  .strictObject(
    {
      // Header names are case-insensitive (Node hands them over lower-cased); cookie names are not.
      header: hashKeyName('header')
        .transform((v) => v.toLowerCase())
        .optional(),
      cookie: hashKeyName('cookie').optional(),
      clientIp: z.literal(true, { error: 'must be true' }).optional(),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? HASH_ON_MESSAGE : issue.code === 'invalid_type' && issue.input !== undefined ? `${HASH_ON_MESSAGE}, not ${describeType(issue.input)}` : undefined) },
  )
  .superRefine((value, ctx) => {
    if (Object.keys(value).length !== 1) ctx.addIssue({ code: 'custom', message: HASH_ON_MESSAGE, input: value });
  })
  .transform((value) => value as HashOn)
  .meta({ minProperties: 1, maxProperties: 1, description: 'Exactly one of `{"header": name}`, `{"cookie": name}` or `{"clientIp": true}`.' });

const LoadBalancing = strictBlock({
  algorithm: z
    .enum(LOAD_BALANCING_ALGORITHMS, { error: `must be one of ${LOAD_BALANCING_ALGORITHMS.map((a) => `"${a}"`).join(', ')}` })
    .default('round-robin')
    .meta({ description: '`round-robin` (smooth weighted), `least-request` (power of two choices), `consistent-hash` (ring hash on `hashOn`).' }),
  hashOn: HashOnBlock.nullable().default(null).meta({ description: 'What consistent hashing hashes; set exactly when `algorithm` is `consistent-hash`.' }),
  zoneAware: z.boolean().default(true).meta({ description: "Prefer targets in the runtime's own zone." }),
  minZoneHealthyPercent: integer(0, 100)
    .default(70)
    .meta({ description: 'Prefer the local zone while at least this share of its targets is healthy; below it, use every zone.' }),
}).superRefine((lb, ctx) => {
  if (lb.algorithm === 'consistent-hash' && lb.hashOn === null) {
    ctx.addIssue({ code: 'custom', path: ['hashOn'], message: 'is required with algorithm "consistent-hash": {"header": name}, {"cookie": name} or {"clientIp": true}', input: null });
  } else if (lb.algorithm !== 'consistent-hash' && lb.hashOn !== null) {
    ctx.addIssue({ code: 'custom', path: ['hashOn'], message: `must be null unless algorithm is "consistent-hash" (it is "${lb.algorithm}")`, input: lb.hashOn });
  }
});

const Timeouts = strictBlock({
  connectMs: ms().default(5_000).meta({ description: 'TCP (and TLS) connect, per try → 502 `GW_UPSTREAM_UNREACHABLE`.' }),
  requestMs: ms().default(30_000).meta({ description: 'Per try, until response headers → 504 `GW_UPSTREAM_TIMEOUT`.' }),
  totalMs: ms().optional().meta({ description: 'All tries and backoff together, until response headers; never below `requestMs`.', 'x-default': '60000, or `requestMs` when that is longer' }),
  streamIdleMs: ms()
    .default(300_000)
    .meta({
      description:
        'The longest silence from the upstream between two chunks of its response. Before the response headers it acts as the per-try timeout (504, retried on `timeout`); after them the client connection is cut, and the event is logged and counted. A stream that sends within it (server-sent events) is never cut; a client that reads slowly does not count as silence. Not applied to WebSocket tunnels.',
    }),
  // The client's side of the exchange, per API (nginx's per-location client_body_timeout and
  // send_timeout): absent, the runtime's setting applies (docs/slow-clients.md).
  clientBodyMs: integer(0, HOUR)
    .optional()
    .meta({
      description:
        "The longest silence of the client while its request body arrives: no byte for this long → 408 `GW_REQUEST_TIMEOUT` if nothing was answered yet, else the connection is closed; the upstream request is aborted. `0`: off. Absent: the runtime's `CLIENT_BODY_TIMEOUT_MS`.",
      'x-default': "the runtime's `CLIENT_BODY_TIMEOUT_MS` (60000)",
    }),
  clientSendMs: integer(0, HOUR)
    .optional()
    .meta({
      description:
        "How long a response may wait for a client that reads nothing of it (its connection buffer is full): then the connection is closed and the upstream request aborted. A quiet stream (server-sent events between events) is not timed by it. `0`: off. Absent: the runtime's `CLIENT_SEND_TIMEOUT_MS`.",
      'x-default': "the runtime's `CLIENT_SEND_TIMEOUT_MS` (60000)",
    }),
}).transform((t, ctx) => ({ ...t, totalMs: atLeast(t.totalMs, 60_000, t.requestMs, 'totalMs', 'requestMs', ctx) }));

const RETRY_CONDITION_MESSAGE = 'must be "connect-failure", "reset", "timeout" or a status "500"-"599" as a string';
const RetryConditionField = z
  .string({ error: RETRY_CONDITION_MESSAGE })
  .regex(RETRY_CONDITION_PATTERN, { error: RETRY_CONDITION_MESSAGE })
  .transform((v) => v as RetryCondition);

/** Envoy's default `min_retry_concurrency`: a quiet upstream can always have this many retries in flight. */
const DEFAULT_MIN_RETRY_CONCURRENCY = 3;

const Retries = strictBlock({
  attempts: integer(0, L.retryAttemptsMax).default(2).meta({ description: 'Retries after the first try; 0 = off.' }),
  on: uniqueList(RetryConditionField, RETRY_FAILURE_CONDITIONS.length + 100, { key: (v) => v, detail: (v) => `(${quote(v)})` })
    .default(['connect-failure', 'reset', '502', '503', '504'])
    .meta({ description: 'What a retry may follow: `connect-failure`, `reset`, `timeout` (a per-try timeout) or a status `"500"`-`"599"`.' }),
  backoffBaseMs: ms().default(25).meta({ description: 'First backoff; each retry waits a full-jitter random delay up to base·2^n, capped at `backoffMaxMs`.' }),
  backoffMaxMs: ms().optional().meta({ description: 'Longest backoff; never below `backoffBaseMs`.', 'x-default': '250, or `backoffBaseMs` when that is longer' }),
  budgetPercent: integer(0, 100).default(20).meta({ description: 'Retries in flight may reach this share of the requests in flight…' }),
  minRetryConcurrency: integer(0, L.minRetryConcurrencyMax)
    .optional()
    .meta({
      description: "…or this many retries in flight, whichever is more (Envoy's `min_retry_concurrency`).",
      'x-default': '3, or `budgetMinPerSecond` when an older definition gives that',
    }),
  budgetMinPerSecond: integer(0, L.minRetryConcurrencyMax)
    .optional()
    .meta({ description: 'Deprecated, the old name of `minRetryConcurrency` (the floor was a rate per second; it is now retries in flight): read as `minRetryConcurrency`, refused next to it.', deprecated: true }),
}).transform((r, ctx) => {
  const { budgetMinPerSecond, ...rest } = r;
  if (budgetMinPerSecond !== undefined && r.minRetryConcurrency !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['budgetMinPerSecond'], message: 'is the old name of minRetryConcurrency: give only minRetryConcurrency', input: budgetMinPerSecond });
  }
  return {
    ...rest,
    minRetryConcurrency: r.minRetryConcurrency ?? budgetMinPerSecond ?? DEFAULT_MIN_RETRY_CONCURRENCY,
    backoffMaxMs: atLeast(r.backoffMaxMs, 250, r.backoffBaseMs, 'backoffMaxMs', 'backoffBaseMs', ctx),
  };
});

const HealthCheck = strictBlock(
  {
    path: z
      .string()
      .max(L.healthCheckPathMaxLength)
      .regex(HEALTH_PATH_PATTERN, { error: 'must be a path starting with a single "/" (a query may follow), visible ASCII without "#"' })
      .default('/health')
      .meta({ description: 'Origin-form path (a query may follow) requested with GET on each target; 2xx = healthy.' }),
    intervalMs: ms().default(5_000),
    timeoutMs: ms().optional().meta({ description: 'Never above `intervalMs`.', 'x-default': '1000, or `intervalMs` when that is shorter' }),
    healthyThreshold: integer(1, L.thresholdMax).default(2).meta({ description: 'Consecutive passes that make an unhealthy target healthy.' }),
    unhealthyThreshold: integer(1, L.thresholdMax).default(3).meta({ description: 'Consecutive failures that make a healthy target unhealthy.' }),
  },
  true,
).transform((h, ctx) => {
  const timeoutMs = h.timeoutMs ?? Math.min(1_000, h.intervalMs);
  if (timeoutMs > h.intervalMs) ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: `must be at most intervalMs (${h.intervalMs})`, input: timeoutMs });
  return { ...h, timeoutMs };
});

const OutlierDetection = strictBlock(
  {
    consecutiveFailures: integer(1, L.consecutiveFailuresMax).default(5).meta({ description: 'Consecutive 5xx responses or gateway failures (connect failure, reset, timeout) that eject a target.' }),
    baseEjectionMs: ms().default(30_000).meta({ description: 'An ejected target is out for this × the times it was ejected…' }),
    maxEjectionMs: ms().optional().meta({ description: '…capped at this; never below `baseEjectionMs`.', 'x-default': '300000, or `baseEjectionMs` when that is longer' }),
    maxEjectionPercent: integer(0, 100).default(50).meta({ description: "Never eject more than this share of an upstream's targets." }),
  },
  true,
).transform((o, ctx) => ({ ...o, maxEjectionMs: atLeast(o.maxEjectionMs, 300_000, o.baseEjectionMs, 'maxEjectionMs', 'baseEjectionMs', ctx) }));

const CircuitBreaker = strictBlock(
  {
    maxConcurrent: integer(1, L.breakerCountMax).default(1024).meta({ description: 'Requests in flight to this upstream at once.' }),
    maxPending: integer(0, L.breakerCountMax).default(128).meta({ description: 'Requests that may wait for a slot once `maxConcurrent` is reached; 0 = refuse at once.' }),
    failureRatePercent: integer(1, 100).default(50).meta({ description: 'The failure rate in the window that opens the breaker…' }),
    windowMs: ms().default(10_000),
    minRequests: integer(1, L.breakerCountMax).default(20).meta({ description: '…once the window holds at least this many requests.' }),
    openMs: ms().default(5_000).meta({ description: 'How long the breaker stays open before half-open trials.' }),
    halfOpenRequests: integer(1, L.halfOpenRequestsMax).default(3).meta({ description: 'Trial requests let through while half-open.' }),
  },
  true,
);

/** Buffering for slow clients (docs/slow-clients.md); how much is a runtime setting, whether is the API's. */
const Buffering = strictBlock({
  requests: z
    .boolean()
    .default(true)
    .meta({
      description:
        "Read a request body with a `Content-Length` up to the runtime's `REQUEST_BUFFER_BYTES` whole before a target is picked, so a client that trickles it holds no breaker slot and no upstream connection (nginx's `proxy_request_buffering`). `false`: bodies stream to the upstream as they arrive. Bodies under an idempotency-key policy are read whole anyway (they are hashed).",
    }),
  responses: z
    .boolean()
    .default(true)
    .meta({
      description:
        "Keep reading the upstream's response for a client slower than the upstream, in memory up to the runtime's `RESPONSE_BUFFER_BYTES` and then in a temporary file (`BUFFER_DISK_BYTES`), so the upstream connection and the breaker slot are given back when the upstream is done (nginx's `proxy_buffering`). `false`: plain backpressure, the upstream is paused until the client reads. Server-sent events are never buffered.",
    }),
});

const HostRewrite = normalizedString((value) => {
  const lower = value.toLowerCase();
  const problem = hostHeaderProblem(lower);
  return problem === undefined ? lower : { problem };
}, nullableStringBase());

/** The `upstream` block: where an API's requests go and how failure is absorbed. */
export const UpstreamSchema = strictBlock({
  targets: z
    .array(Target)
    .min(1)
    .max(L.targetsMax)
    .meta({ description: 'In the operator’s order (it matters to balancing).' }),
  loadBalancing: LoadBalancing.prefault({}),
  timeouts: Timeouts.prefault({}),
  retries: Retries.prefault({}).meta({
    description:
      'A retry needs all of: a condition in `on`, tries so far ≤ `attempts`, an idempotent method or an `Idempotency-Key`, no response byte sent, a body not yet read, time left in `totalMs`, and the retry budget.',
  }),
  healthCheck: HealthCheck.nullable().default(null).meta({ description: 'Active health checks; `null` or absent: none; `{}`: on with every default.' }),
  outlierDetection: OutlierDetection.nullable().prefault({}).meta({ description: 'Passive ejection of failing targets; `null`: off; absent: on with the defaults.' }),
  circuitBreaker: CircuitBreaker.nullable().prefault({}).meta({ description: 'Per-API concurrency limit and failure-rate breaker; `null`: off; absent: on with the defaults.' }),
  buffering: Buffering.prefault({}).meta({ description: 'Whether slow clients are decoupled from the upstream by buffering; the sizes are runtime settings (docs/slow-clients.md).' }),
  hostRewrite: HostRewrite.nullable()
    .default(null)
    .meta({
      description:
        "The Host header the upstream receives: a host name, IPv4 address or canonical `[IPv6]` literal, optionally `:port` (1–65535), stored lower-case; `null`: the target's `host[:port]`.",
    }),
});
