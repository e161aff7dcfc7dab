import type { UpstreamTarget } from '@gw/upstreams';
import { Pool } from 'undici';

/** The connection pool settings of every upstream origin (README: "Upstream connections"). */
export const UPSTREAM_POOL_OPTIONS = Object.freeze({
  /**
   * No cap on concurrent connections per origin (undici's `null`): a request never waits
   * in the pool for a connection another request holds. What bounds them instead is the
   * API's circuit breaker (`maxConcurrent` requests in flight), `MAX_CONNECTIONS` (each
   * client connection forwards one request at a time) and the descriptor reserve. A cap
   * here was a second, hidden queue: slow readers whose responses stream with
   * backpressure each hold a connection, and with the cap full well-behaved requests
   * waited behind them (docs/slow-clients.md, "slow-read again"). nginx has no such cap
   * either.
   */
  connections: null,
  /** One request at a time per connection: no HTTP pipelining towards upstreams. */
  pipelining: 1,
  /**
   * Idle time after which a pooled connection is closed. A `Keep-Alive: timeout=N` hint
   * from the upstream shortens it (minus `keepAliveTimeoutThreshold`), so a connection is
   * not reused just as the upstream closes it.
   */
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  keepAliveTimeoutThreshold: 1_000,
  /**
   * The forwarder's own per-try and total timers bound the wait for response headers,
   * and response bodies stream for as long as they take (server-sent events): undici's
   * own headers and body timeouts are off.
   */
  headersTimeout: 0,
  bodyTimeout: 0,
  /** HTTP/1.1 to upstreams, also over TLS: the header hygiene and framing rules are HTTP/1.1's. */
  allowH2: false,
  /**
   * TCP keep-alive probes on pooled connections, so dead peers are noticed. The socket's
   * read-ahead is Node's default 16 KiB, not undici's 64 KiB: a response paused for a slow
   * client (backpressure) keeps what its socket read ahead until the client catches up, and
   * under a slow-read attack that was ~40 KiB on each of ~1,250 paused upstream connections
   * (docs/slow-clients.md). A read is still up to 64 KiB; only the read-ahead is smaller.
   */
  connect: Object.freeze({ keepAlive: true, keepAliveInitialDelay: 1_000, highWaterMark: 16 * 1024 }),
});

/** What the forwarder needs to reach one origin: its pool and its `Host` header value. */
export interface UpstreamEndpoint {
  readonly pool: Pool;
  /** `hostname[:port]`, the port only when it is not the scheme's default. */
  readonly host: string;
  /** The pool's connect timeout. */
  readonly connectMs: number;
}

/**
 * One undici `Pool` of keep-alive connections per upstream origin and connect timeout,
 * created when first needed and kept across routing tables, so a config change that keeps
 * a target keeps its warm connections. (The connect timeout is a pool setting; APIs that
 * share an origin with the same `connectMs` share its pool.)
 */
export class UpstreamPools {
  readonly #byKey = new Map<string, UpstreamEndpoint>();
  /**
   * The hot path's lookup: a routing table's targets are frozen objects of one API (one
   * `connectMs`), so each resolves to its pool once, without building a key per request.
   */
  #byTarget = new WeakMap<UpstreamTarget, UpstreamEndpoint>();

  get size(): number {
    return this.#byKey.size;
  }

  get(target: UpstreamTarget, connectMs: number): UpstreamEndpoint {
    const cached = this.#byTarget.get(target);
    if (cached !== undefined && cached.connectMs === connectMs) return cached;
    const key = `${target.origin} ${connectMs}`;
    const known = this.#byKey.get(key);
    if (known !== undefined) {
      this.#byTarget.set(target, known);
      return known;
    }
    const defaultPort = target.protocol === 'https:' ? 443 : 80;
    const endpoint: UpstreamEndpoint = Object.freeze({
      pool: new Pool(target.origin, { ...UPSTREAM_POOL_OPTIONS, connectTimeout: connectMs }),
      host: target.port === defaultPort ? target.hostname : `${target.hostname}:${target.port}`,
      connectMs,
    });
    this.#byKey.set(key, endpoint);
    this.#byTarget.set(target, endpoint);
    return endpoint;
  }

  /** Destroys every pooled and in-use upstream connection; requests in flight fail. */
  close(): void {
    for (const endpoint of this.#byKey.values()) void endpoint.pool.destroy().catch(() => undefined);
    // Cached per-target lookups would hand out destroyed pools: forget them too.
    this.#byKey.clear();
    this.#byTarget = new WeakMap();
  }
}
