import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { RouteTarget } from '@gw/routing';

/** The connection pool limits for each upstream origin. */
export const UPSTREAM_AGENT_OPTIONS = Object.freeze({
  keepAlive: true,
  /** TCP keep-alive probes on pooled sockets, so dead peers are noticed. */
  keepAliveMsecs: 1_000,
  /** Concurrent connections per origin; further requests wait in the agent (bounded by the request timeout). */
  maxSockets: 512,
  /** Idle connections kept per origin. */
  maxFreeSockets: 128,
  /**
   * Idle time after which a pooled socket is closed. Node shortens it further when the
   * upstream announces `Keep-Alive: timeout=N`, so a socket is not reused just as the
   * upstream closes it.
   */
  timeout: 30_000,
  /** Reuse the most recently used socket, so surplus ones go idle and time out. */
  scheduling: 'lifo' as const,
});

/** What http-proxy-3 needs to reach one origin: its target description and its pool. */
export interface UpstreamEndpoint {
  readonly target: { readonly protocol: string; readonly host: string; readonly hostname: string; readonly port: number };
  readonly agent: HttpAgent;
}

/**
 * One keep-alive agent per upstream origin, created when first needed and kept across
 * routing tables, so a config change that keeps a target keeps its warm connections.
 */
export class UpstreamAgents {
  readonly #byOrigin = new Map<string, UpstreamEndpoint>();

  get size(): number {
    return this.#byOrigin.size;
  }

  get(target: RouteTarget): UpstreamEndpoint {
    const known = this.#byOrigin.get(target.origin);
    if (known !== undefined) return known;
    const endpoint: UpstreamEndpoint = Object.freeze({
      // `host` without the port: with `changeOrigin` http-proxy-3 builds the upstream
      // Host header from it and adds the port when it is not the scheme's default.
      target: Object.freeze({ protocol: target.protocol, host: target.hostname, hostname: target.hostname, port: target.port }),
      agent: target.protocol === 'https:' ? new HttpsAgent(UPSTREAM_AGENT_OPTIONS) : new HttpAgent(UPSTREAM_AGENT_OPTIONS),
    });
    this.#byOrigin.set(target.origin, endpoint);
    return endpoint;
  }

  /** Destroys every pooled and in-use upstream socket. */
  close(): void {
    for (const endpoint of this.#byOrigin.values()) endpoint.agent.destroy();
    this.#byOrigin.clear();
  }
}
