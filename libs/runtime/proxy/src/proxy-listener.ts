import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { silentLogger, type Logger } from '@gw/logging';
import { CLIENT_HIGH_WATER_MARK_BYTES } from './buffering/buffer-settings.js';
import { answerClientError, refuseConnect } from './edge/client-error.js';
import { OverloadGuard, type OverloadStats } from './overload-guard.js';
import type { ProxyHandler } from './proxy-handler.js';
import { isWebSocketUpgrade } from './upgrades/upgrade-handler.js';

/** Connection-level limits of the proxy listener (environment variables of the runtime, see README). */
export interface ListenerSettings {
  /** `HEADERS_TIMEOUT_MS`: the request line and headers must arrive within this (slowloris) → 408. */
  readonly headersTimeoutMs: number;
  /** `REQUEST_TIMEOUT_MS`: the whole request, body included, must arrive within this → 408. 0 = no limit. */
  readonly requestTimeoutMs: number;
  /** `KEEPALIVE_TIMEOUT_MS`: an idle client connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** `MAX_HEADER_BYTES`: the request line and headers together; larger → 431. */
  readonly maxHeaderBytes: number;
  /** `MAX_CONNECTIONS`: client connections beyond this are refused at once (0: no cap); see overload-guard.ts. */
  readonly maxConnections: number;
  /**
   * `MAX_CONNECTIONS_PER_ADDRESS`: the most connections one client address may hold (0:
   * no per-address cap); absent: 90 % of `maxConnections` (overload-guard.ts).
   */
  readonly maxConnectionsPerAddress?: number | undefined;
}

const SILENT_WATCH: unique symbol = Symbol('gw.silentWatch');

interface SilentWatch extends Socket {
  [SILENT_WATCH]?: boolean;
}

/** The connection's first request (or WebSocket handshake) came: Node's own timers take it from here. */
function endSilentWatch(socket: SilentWatch): void {
  if (socket[SILENT_WATCH] !== true) return;
  socket[SILENT_WATCH] = false;
  socket.setTimeout(0);
}

export const DEFAULT_LISTENER_SETTINGS: ListenerSettings = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  // Above the usual 60 s idle timeout of load balancers in front, so the gateway is never
  // the side that closes a connection the balancer is about to reuse.
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 0,
});

export interface ShutdownOptions {
  /** How long requests in flight may take before their connections are cut. */
  inFlightGraceMs: number;
  /** How long open WebSockets may go on before they get a close frame (then 1 s more at most). */
  webSocketGraceMs: number;
}

export interface ProxyListener {
  readonly server: Server;
  readonly draining: boolean;
  /** Connections, refusals at the cap and pressure (metrics). */
  readonly overload: OverloadStats;
  /**
   * From now on every response carries `Connection: close` and its connection closes
   * after it, so keep-alive clients move to other runtimes while this one still serves.
   */
  startDraining(): void;
  /**
   * Stops accepting connections and closes idle keep-alive ones (and each busy one as
   * soon as its response is done), lets requests in flight finish within
   * `inFlightGraceMs` and WebSockets within `webSocketGraceMs`, then cuts what is left.
   * Resolves once every connection is closed.
   */
  shutdown(options: ShutdownOptions): Promise<void>;
}

/**
 * The runtime's client-facing HTTP server with the hardened edge wired in: parser limits
 * and slowloris timeouts, JSON answers to parser errors (`clientError`), CONNECT refused,
 * WebSocket upgrades only (any other `Upgrade`, such as `h2c`, is served as a plain
 * request with `Upgrade` stripped), `Expect: 100-continue` answered only for requests the
 * edge accepts (an oversized upload gets 413 before the client sends it), and the drain.
 */
export function createProxyListener(handler: ProxyHandler, settings: Partial<ListenerSettings> = {}, logger: Logger = silentLogger): ProxyListener {
  const s = { ...DEFAULT_LISTENER_SETTINGS, ...settings };
  let draining = false;

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as SilentWatch;
    // A connection closing after an early answer (edge/early-answer.ts) serves nothing more.
    if (socket.writableEnded) {
      socket.destroy();
      return;
    }
    endSilentWatch(socket);
    // Draining, or under pressure (overload-guard.ts): no keep-alive.
    if (draining || overload.underPressure) res.shouldKeepAlive = false;
    handler.handle(req, res);
  }

  const server = createServer(
    {
      headersTimeout: s.headersTimeoutMs,
      requestTimeout: s.requestTimeoutMs,
      keepAliveTimeout: s.keepAliveTimeoutMs,
      maxHeaderSize: s.maxHeaderBytes,
      // Node checks the two timeouts above on this interval (30 s by default, which would
      // let a slowloris client hold a connection for up to 30 s past the limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(s.headersTimeoutMs / 4))),
      requireHostHeader: true,
      shouldUpgradeCallback: isWebSocketUpgrade,
      // A request without a body (most GETs) gets an already-ended body stream instead of
      // one that emits 'end' a tick later: less work per request on the hot path. Nothing
      // here waits for the request's own 'end' or 'close' (client aborts are seen on the
      // response), which the listener spec checks.
      optimizeEmptyRequests: true,
      // What a lagging client's connection queues (CLIENT_HIGH_WATER_MARK_BYTES, not Node's 64 KiB).
      highWaterMark: CLIENT_HIGH_WATER_MARK_BYTES,
    },
    onRequest,
  );
  const overload = new OverloadGuard(server, s.maxConnections, logger, undefined, s.maxConnectionsPerAddress);
  // Node's headers timeout starts with a request's first byte: a connection that never
  // sends one would stay open for ever, holding a place under MAX_CONNECTIONS. It gets
  // HEADERS_TIMEOUT_MS from its accept instead (nginx's client_header_timeout), and is
  // closed without an answer when it passes.
  const budget = handler.budget;
  server.on('connection', (socket: SilentWatch) => {
    socket[SILENT_WATCH] = true;
    socket.setTimeout(s.headersTimeoutMs);
    // What the connection itself costs is charged in BUFFER_MEMORY_BYTES until it closes
    // (not one refused by the per-address cap: destroyed above, by the overload guard).
    budget.chargeConnection(socket);
  });
  server.on('clientError', (err: Error, socket) => answerClientError(err, socket, logger));
  server.on('connect', refuseConnect);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    endSilentWatch(socket as SilentWatch);
    handler.handleUpgrade(req, socket, head);
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (handler.edge.check(req) === undefined) res.writeContinue();
    onRequest(req, res);
  });

  return {
    server,
    overload,
    get draining() {
      return draining;
    },
    startDraining(): void {
      draining = true;
    },
    shutdown(options: ShutdownOptions): Promise<void> {
      draining = true;
      return new Promise<void>((resolve) => {
        // Busy connections turn idle as their responses end: close them as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const webSockets = setTimeout(() => void handler.upgrades.closeAll(1_000), options.webSocketGraceMs);
        const cut = setTimeout(() => {
          logger.warn({ graceMs: options.inFlightGraceMs }, 'requests still in flight after the grace period: closing their connections');
          server.closeAllConnections();
        }, options.inFlightGraceMs);
        server.close(() => {
          overload.stop();
          clearInterval(sweep);
          clearTimeout(webSockets);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
        if (handler.upgrades.open === 0) clearTimeout(webSockets);
      });
    },
  };
}
