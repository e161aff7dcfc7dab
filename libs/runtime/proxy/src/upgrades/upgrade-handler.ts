import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ApiRuntime, RuntimeConfig } from '@gw/runtime-config';
import { upstreamPath, type UpstreamTarget } from '@gw/upstreams';
import { createProxyServer } from 'http-proxy-3';
import { NOT_WEBSOCKET } from '../edge/edge-errors.js';
import type { EdgeGuard } from '../edge/edge-guard.js';
import { refuseOnSocket } from '../edge/edge-refusal.js';
import { resolveRequestId } from '../edge/request-id.js';
import { NOT_READY, NO_ROUTE, type ProxyError } from '../error-response.js';
import { HOP_BY_HOP_HEADERS } from '../forwarding/hop-by-hop-headers.js';
import { UPSTREAM_TIMEOUT, classifyUpstreamFailure } from '../forwarding/upstream-failure.js';
import { prepareUpstreamRequestHeaders } from '../forwarding/upstream-request-headers.js';
import { CLOSE_GOING_AWAY, FrameBoundary, closeFrame } from './websocket-frames.js';

export interface UpgradeHandlerOptions {
  /** The config in use, or `undefined` when there is none (or the handler is closed): 503. */
  getConfig: () => RuntimeConfig | undefined;
  /** The same target choice as for HTTP requests; `undefined` when none can take traffic. */
  pickTarget: (api: ApiRuntime, req: IncomingMessage) => UpstreamTarget | undefined;
  edge: EdgeGuard;
  logger?: Logger;
}

export interface UpgradeHandler {
  /** The server's `upgrade` listener. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** WebSocket connections open now (handshakes in progress included). */
  readonly open: number;
  /**
   * Ends every open WebSocket with a close frame (1001, going away) to both sides when the
   * stream sits between frames (else cuts that side), and resolves once all are closed;
   * what is still open after `forceAfterMs` is destroyed.
   */
  closeAll(forceAfterMs: number): Promise<void>;
  /** Destroys every open WebSocket connection at once. */
  destroyAll(): void;
}

/**
 * Whether Node should hand a request with `Upgrade` to the upgrade handler: a WebSocket
 * handshake on HTTP/1.1 only. RFC 9110 §7.8: a server must ignore `Upgrade` on an
 * HTTP/1.0 request, so such a request is served as a plain one with `Upgrade` stripped
 * (as nginx does: it never switches protocols for HTTP/1.0), never answered 101.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return (
    req.method === 'GET' &&
    req.httpVersionMajor === 1 &&
    req.httpVersionMinor === 1 &&
    upgrade !== undefined &&
    (upgrade === 'websocket' || upgrade.toLowerCase() === 'websocket')
  );
}

const GET_NOT_ALLOWED: ProxyError = Object.freeze({ status: 405, code: ErrorCodes.GW_METHOD_NOT_ALLOWED, message: 'this route does not accept GET, so no WebSocket either' });
const NO_TARGET: ProxyError = Object.freeze({ status: 503, code: ErrorCodes.GW_UPSTREAM_UNREACHABLE, message: 'no upstream target can take this request' });

/** Response headers of the upstream's 101 that stay: the handshake's own hop-by-hop pair. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set(['connection', 'upgrade']);

const TUNNEL: unique symbol = Symbol('gw.tunnel');

interface WithTunnel {
  [TUNNEL]?: Tunnel;
}

/** One WebSocket connection through the gateway, from handshake to close. */
class Tunnel {
  upgraded = false;
  answered = false;
  timedOut = false;
  timer: NodeJS.Timeout | undefined = undefined;
  upstream: Socket | undefined = undefined;
  /** Where each direction's byte stream stands, to add a close frame between frames. */
  readonly toClient = new FrameBoundary();
  readonly toUpstream = new FrameBoundary();

  constructor(
    readonly client: Duplex,
    readonly requestId: string,
    readonly api: ApiRuntime,
    readonly target: UpstreamTarget,
  ) {}
}

/**
 * WebSocket upgrades: the same edge checks, request id, routing and target choice as
 * HTTP requests, the same header hygiene except that `Connection: Upgrade` and
 * `Upgrade: websocket` go through, then http-proxy-3 joins the two sockets. Each
 * upgrade opens its own upstream connection (an upgraded socket never returns to a pool).
 * A non-WebSocket upgrade (`h2c`, …) never gets here when the server's
 * `shouldUpgradeCallback` is `isWebSocketUpgrade`: it is served as a plain request with
 * `Upgrade` stripped. Without that option (older Node), it is refused with 400.
 */
export function createUpgradeHandler(options: UpgradeHandlerOptions): UpgradeHandler {
  const { getConfig, pickTarget, edge } = options;
  const logger = options.logger ?? silentLogger;
  const tunnels = new Set<Tunnel>();
  const proxy = createProxyServer({ changeOrigin: true, toProxy: true });
  proxy.on('proxyReqWs', onProxyReqWs);
  // Errors go to the callback given to each `ws` call; this only keeps a stray one from throwing.
  proxy.on('error', () => undefined);

  function handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node removed its own listeners from an upgraded socket: without one, a reset would crash.
    socket.on('error', destroyOnError);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    if (!isWebSocketUpgrade(req)) return refuseOnSocket(socket, NOT_WEBSOCKET, requestId);
    const refused = edge.check(req);
    if (refused !== undefined) return refuseOnSocket(socket, refused, requestId);
    const table = getConfig()?.table;
    if (table === undefined) return refuseOnSocket(socket, NOT_READY, requestId);
    const url = req.url!;
    const queryAt = url.indexOf('?');
    const match = table.match('GET', req.headers.host, queryAt === -1 ? url : url.slice(0, queryAt));
    if (match === undefined) return refuseOnSocket(socket, NO_ROUTE, requestId);
    if (match.kind !== 'route') return refuseOnSocket(socket, GET_NOT_ALLOWED, requestId);
    const api = match.api;
    const target = pickTarget(api, req);
    if (target === undefined) return refuseOnSocket(socket, NO_TARGET, requestId);

    prepareUpstreamRequestHeaders(req, requestId, edge.trustedProxyHops);
    req.headers.connection = 'Upgrade';
    req.headers.upgrade = 'websocket';
    // Host: the target's (`changeOrigin`), or the API's `hostRewrite`.
    const hostRewrite = api.definition.upstream.hostRewrite;
    if (hostRewrite !== null) req.headers.host = hostRewrite;
    req.url = upstreamPath(target, match.forwardPath, queryAt === -1 ? '' : url.slice(queryAt));

    const tunnel = new Tunnel(socket, requestId, api, target);
    (req as WithTunnel)[TUNNEL] = tunnel;
    tunnels.add(tunnel);
    socket.once('close', () => {
      tunnels.delete(tunnel);
      clearTimeout(tunnel.timer);
    });
    const endpoint = { protocol: target.protocol, host: target.hostname, hostname: target.hostname, port: target.port };
    proxy.ws(req, socket, head, { target: endpoint, connectTimeout: api.definition.upstream.timeouts.connectMs, changeOrigin: hostRewrite === null }, onWsError);
  }

  function onProxyReqWs(proxyReq: ClientRequest, req: IncomingMessage): void {
    const tunnel = (req as WithTunnel)[TUNNEL];
    if (tunnel === undefined) return;
    (proxyReq as WithTunnel)[TUNNEL] = tunnel;
    // Registered before http-proxy-3's own listener, so the 101 headers are cleaned first.
    proxyReq.on('upgrade', onUpstreamUpgrade);
    proxyReq.on('response', onUpstreamRefused);
    tunnel.timer = setTimeout(onHandshakeTimeout, tunnel.api.definition.upstream.timeouts.requestMs, tunnel, proxyReq);
  }

  function onUpstreamUpgrade(this: ClientRequest, proxyRes: IncomingMessage, proxySocket: Socket): void {
    const tunnel = (this as WithTunnel)[TUNNEL]!;
    clearTimeout(tunnel.timer);
    tunnel.timer = undefined;
    tunnel.upgraded = true;
    tunnel.upstream = proxySocket;
    const headers = proxyRes.headers;
    for (const name of Object.keys(headers)) {
      if ((HOP_BY_HOP_HEADERS.has(name) && !HANDSHAKE_HEADERS.has(name)) || name === 'transfer-encoding') delete headers[name];
    }
    headers['x-request-id'] = tunnel.requestId;
    proxySocket.on('data', (chunk: Buffer) => tunnel.toClient.feed(chunk));
    tunnel.client.on('data', (chunk: Buffer) => tunnel.toUpstream.feed(chunk));
  }

  /** The upstream answered the handshake with a plain response; http-proxy-3 relays it. */
  function onUpstreamRefused(this: ClientRequest): void {
    const tunnel = (this as WithTunnel)[TUNNEL]!;
    clearTimeout(tunnel.timer);
    tunnel.timer = undefined;
    tunnel.answered = true;
  }

  function onHandshakeTimeout(tunnel: Tunnel, proxyReq: ClientRequest): void {
    tunnel.timer = undefined;
    tunnel.timedOut = true;
    proxyReq.destroy(Object.assign(new Error('the upstream did not answer the WebSocket handshake in time'), { code: 'ETIMEDOUT' }));
  }

  function onWsError(err: Error, req: IncomingMessage, target: unknown): void {
    // For `ws`, http-proxy-3 passes the client socket where `web` passes the response.
    const socket = target as Duplex;
    const tunnel = (req as WithTunnel)[TUNNEL];
    if (tunnel === undefined || tunnel.upgraded || tunnel.answered) return; // http-proxy-3 closes the client socket
    tunnel.answered = true;
    clearTimeout(tunnel.timer);
    const failure = tunnel.timedOut ? UPSTREAM_TIMEOUT : classifyUpstreamFailure(err);
    logger.warn({ requestId: tunnel.requestId, api: tunnel.api.name, target: tunnel.target.origin, err }, `websocket: ${failure.message}`);
    refuseOnSocket(socket, failure, tunnel.requestId);
  }

  function closeTunnel(tunnel: Tunnel): void {
    const upstream = tunnel.upstream;
    const client = tunnel.client;
    if (!tunnel.upgraded || upstream === undefined) {
      client.destroy();
      return;
    }
    upstream.unpipe(client);
    client.unpipe(upstream);
    // Keep reading (and discarding) so each side's own close and FIN are seen.
    upstream.resume();
    client.resume();
    if (tunnel.toClient.atBoundary) client.end(closeFrame(CLOSE_GOING_AWAY, 'gateway shutting down', false));
    else client.destroy();
    if (tunnel.toUpstream.atBoundary) upstream.end(closeFrame(CLOSE_GOING_AWAY, 'gateway shutting down', true));
    else upstream.destroy();
  }

  return {
    handle,
    get open() {
      return tunnels.size;
    },
    async closeAll(forceAfterMs: number): Promise<void> {
      if (tunnels.size === 0) return;
      logger.info({ open: tunnels.size }, 'closing websockets (1001 going away)');
      const closed = [...tunnels].map((t) => new Promise<void>((resolve) => (t.client.destroyed ? resolve() : t.client.once('close', () => resolve()))));
      for (const tunnel of tunnels) closeTunnel(tunnel);
      let timer: NodeJS.Timeout | undefined;
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const tunnel of tunnels) destroyTunnel(tunnel);
          resolve();
        }, forceAfterMs);
      });
      await Promise.race([Promise.all(closed), forced]);
      clearTimeout(timer);
    },
    destroyAll(): void {
      for (const tunnel of tunnels) destroyTunnel(tunnel);
    },
  };
}

function destroyTunnel(tunnel: Tunnel): void {
  tunnel.upstream?.destroy();
  tunnel.client.destroy();
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}
