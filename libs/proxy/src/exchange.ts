import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Route, RouteTarget } from '@gw/routing';

/** Waiting for the upstream's response headers. */
export const WAITING = 0;
/** Upstream response headers sent on to the client; the body is streaming. */
export const STREAMING = 1;
/** Answered with an error, timed out, or the client left: later events are ignored. */
export const DONE = 2;

export type ExchangePhase = typeof WAITING | typeof STREAMING | typeof DONE;

/**
 * Where an exchange is stored on the Node objects that http-proxy-3 hands to its event
 * listeners (the client request, the upstream response). One shared listener per event
 * reads it back, instead of a set of closures per request.
 */
export const EXCHANGE: unique symbol = Symbol('gw.exchange');

export interface WithExchange {
  [EXCHANGE]?: Exchange;
}

/** The state of one proxied request, from routing to the end of the response. */
export class Exchange {
  phase: ExchangePhase = WAITING;
  /** The request timeout: armed at forward time, cleared by the response headers. */
  timer: NodeJS.Timeout | undefined = undefined;
  /** Known once the upstream request has a socket. */
  proxyReq: ClientRequest | undefined = undefined;
  /** The client's Transfer-Encoding, kept to undo http-proxy-3's `deleteLength` pass. */
  transferEncoding: string | undefined = undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly route: Route,
    readonly target: RouteTarget,
  ) {}
}

export function exchangeOf(carrier: object): Exchange | undefined {
  return (carrier as WithExchange)[EXCHANGE];
}
