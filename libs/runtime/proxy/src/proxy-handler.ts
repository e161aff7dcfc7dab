import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { PolicyEvents, RuntimeConfig } from '@gw/runtime-config';
import { BufferBudget } from './buffering/buffer-budget.js';
import { DEFAULT_BUFFER_SETTINGS, type BufferSettings } from './buffering/buffer-settings.js';
import { forgetResponse, trackResponse } from './edge/client-error.js';
import { clientBodyTimeoutOf } from './edge/client-timeouts.js';
import { closeAfterIncompleteBody } from './edge/early-answer.js';
import { EdgeGuard } from './edge/edge-guard.js';
import { resolveRequestId } from './edge/request-id.js';
import { NOT_READY, NO_ROUTE, sendProxyError, type ProxyError } from './error-response.js';
import { createForwarder, type ForwardingEvents } from './forwarding/forwarder.js';
import { UpstreamPools } from './forwarding/upstream-pools.js';
import { prepareUpstreamRequestHeaders } from './forwarding/upstream-request-headers.js';
import { createPolicyPhase } from './policies/policy-phase.js';
import type { RequestObserver } from './request-observer.js';
import { createUpgradeHandler, type UpgradeHandler } from './upgrades/upgrade-handler.js';

export interface ProxyHandlerOptions {
  /**
   * The applied config (routing table, every API's upstream handle and built policies);
   * `undefined` until there is one (answers 503). Read once per request.
   */
  getConfig: () => RuntimeConfig | undefined;
  logger?: Logger;
  /** The edge checks and limits (runtime-wide settings); the defaults when absent. */
  edge?: EdgeGuard;
  /** Metrics hooks for retries and breaker rejections. */
  events?: ForwardingEvents;
  /** Metrics hooks for the policy phase. */
  policyEvents?: PolicyEvents;
  /** Told of every answered request (per-API request counts and durations). */
  requests?: RequestObserver;
  /** Buffering for slow clients and its memory budget; the defaults when absent. */
  buffers?: Partial<BufferSettings>;
}

export interface ProxyHandler {
  /** Routes and forwards one client request; never throws, always answers or closes. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The server's `upgrade` listener: WebSocket connections, routed like requests. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** The open WebSocket connections, to close them on shutdown. */
  readonly upgrades: UpgradeHandler;
  /** The edge checks this handler applies first (limits, trusted proxy hops). */
  readonly edge: EdgeGuard;
  /** BUFFER_MEMORY_BYTES: what is buffered now, and what was refused (metrics). */
  readonly budget: BufferBudget;
  /** BUFFER_DISK_BYTES: responses spilled to temporary files for slow clients. */
  readonly diskBudget: BufferBudget;
  /**
   * Destroys the upstream connection pools. Call after the listener has drained:
   * requests still in flight lose their upstream connection (502 or a cut response),
   * and requests handled afterwards get 503.
   */
  close(): void;
  /** Writes the aggregated upstream-failure lines now instead of at the end of their interval. */
  flushLogs(): void;
}

/** The API's routes serve this path, but not with this method (RFC 9110: 405 carries `Allow`). */
function methodNotAllowed(method: string | undefined, allow: string): ProxyError {
  return { status: 405, code: ErrorCodes.GW_METHOD_NOT_ALLOWED, message: `${method ?? ''} is not allowed on this path; allowed: ${allow}`, headers: { allow } };
}

/** When the handler first saw the request (`performance.now()`), kept on its response. */
const STARTED: unique symbol = Symbol('gw.started');
/** The matched API's name, kept on the response once routed. */
const API: unique symbol = Symbol('gw.api');

interface Tracked {
  [STARTED]?: number;
  [API]?: string;
}

/**
 * The runtime's request path: request id, edge checks, route match, then the forwarder
 * (forwarding/forwarder.ts: balancing, breaker, timeouts, retries over undici and per-origin
 * keep-alive pools). Nothing is logged for a successful request.
 */
export function createProxyHandler(options: ProxyHandlerOptions): ProxyHandler {
  const getConfig = options.getConfig;
  const logger = options.logger ?? silentLogger;
  const pools = new UpstreamPools();
  const edge = options.edge ?? new EdgeGuard();
  let closed = false;
  /** The applied config; none once closed (requests then get 503). */
  const currentConfig = (): RuntimeConfig | undefined => (closed ? undefined : getConfig());
  const buffers = { ...DEFAULT_BUFFER_SETTINGS, ...options.buffers };
  const budget = new BufferBudget(buffers.memoryBytes, buffers.connectionBytes, { minLagMs: buffers.shedMinLagMs, logger });
  const diskBudget = new BufferBudget(buffers.diskBytes);
  const forwarder = createForwarder({
    budget,
    diskBudget,
    buffers,
    maxBodyBytes: edge.settings.maxBodyBytes,
    pools,
    logger,
    events: options.events,
    clientSendTimeoutMs: edge.settings.clientSendTimeoutMs,
    clientBodyTimeoutMs: edge.settings.clientBodyTimeoutMs,
  });
  const upgrades = createUpgradeHandler({
    getConfig: currentConfig,
    pickTarget: (api, req) => forwarder.pickTarget(api, req),
    edge,
    logger,
  });
  // After routing, before the target pick (policies/policy-phase.ts): CORS → auth → rate limits → idempotency.
  const policyPhase = createPolicyPhase({ forwarder, edge, getConfig: currentConfig, logger, events: options.policyEvents, budget });

  const requests = options.requests;

  /** The one 'close' listener of every response: the forwarder gives back what the request held, then it is counted. */
  function onResponseClose(this: ServerResponse): void {
    forwarder.responseClosed(this);
    forgetResponse(this);
    // Answered (by the upstream or the gateway) before the body was through: the rest of
    // the body is not read as a next request, and nothing more is answered on it.
    closeAfterIncompleteBody(this.req);
    if (requests !== undefined) {
      const t = this as Tracked;
      requests.requestEnded(t[API] ?? '', this.statusCode, (performance.now() - t[STARTED]!) / 1000);
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (requests !== undefined) (res as Tracked)[STARTED] = performance.now();
    // 'close' comes once per response: a plain listener, without `once`'s wrapper.
    res.on('close', onResponseClose);
    // A parser error later on this connection is answered after this response (edge/client-error.ts).
    trackResponse(req, res);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    // First the edge (README: "The hardened edge"): refuses what must never be routed and
    // leaves `req.url` origin-form with its path normalized, used to match and to forward.
    if (!edge.admit(req, res, requestId)) return;
    const url = req.url!;
    const config = currentConfig();
    if (config === undefined) return sendProxyError(res, NOT_READY, requestId);
    const queryAt = url.indexOf('?');
    const match = config.table.match(req.method ?? 'GET', req.headers.host, queryAt === -1 ? url : url.slice(0, queryAt));
    if (match === undefined) return sendProxyError(res, NO_ROUTE, requestId);
    if (requests !== undefined) (res as Tracked)[API] = match.api.name;
    if (match.kind === 'method-not-allowed') {
      // A CORS preflight on a path whose routes do not serve OPTIONS is the API's CORS policy's to answer.
      if (policyPhase.preflight(match.api, req, res, requestId)) return;
      return sendProxyError(res, methodNotAllowed(req.method, match.allow), requestId);
    }

    // The body still arriving is watched for the API's client body timeout (or the runtime's).
    edge.watchBody(req, res, requestId, clientBodyTimeoutOf(match.api.definition.upstream, edge.settings.clientBodyTimeoutMs));
    prepareUpstreamRequestHeaders(req, requestId, edge.trustedProxyHops);
    policyPhase.run(req, res, requestId, match, queryAt === -1 ? '' : url.slice(queryAt));
  }

  return {
    handle,
    handleUpgrade: (req, socket, head) => policyPhase.upgrade(req, socket, head, upgrades.handle),
    upgrades,
    edge,
    budget,
    diskBudget,
    close(): void {
      closed = true;
      upgrades.destroyAll();
      pools.close();
      forwarder.flushLogs();
    },
    flushLogs: () => forwarder.flushLogs(),
  };
}
