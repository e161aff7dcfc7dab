import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { corsDecision, setConsumerHeader } from '@gw/auth';
import { ErrorCodes } from '@gw/errors';
import { bodyDigest, type IdempotencyTicket } from '@gw/idempotency';
import type { Logger } from '@gw/logging';
import { rateLimitKey, rateLimitOutcome } from '@gw/rate-limit';
import type { RouteMatch } from '@gw/routing';
import type { ApiPolicies, ApiRuntime, PolicyEvents, RuntimeConfig } from '@gw/runtime-config';
import type { EdgeGuard } from '../edge/edge-guard.js';
import { preparedClientAddress, trustedClientAddress, unmapIpv4 } from '../edge/forwarded-for.js';
import { resolveRequestId } from '../edge/request-id.js';
import { BODY_UNREAD, STREAMING, exchangeOf } from '../forwarding/exchange.js';
import type { Forwarder } from '../forwarding/forwarder.js';
import type { BufferBudget } from '../buffering/buffer-budget.js';
import { readBody, replayBodyOnPipe } from '../buffering/buffered-body.js';
import { answerPreflight, refuseUpgrade, sendPolicyError, sendReplay } from './policy-answers.js';
import { addResponseHeaders, watchResponse } from './response-decoration.js';

export interface PolicyPhaseOptions {
  forwarder: Forwarder;
  edge: EdgeGuard;
  getConfig: () => RuntimeConfig | undefined;
  logger: Logger;
  events?: PolicyEvents | undefined;
  /** BUFFER_MEMORY_BYTES: idempotent requests' bodies are read into it. */
  budget: BufferBudget;
}

export interface PolicyPhase {
  /**
   * Runs the matched API's policies, then forwards the request, or answers it (preflight,
   * 401/403/429/503, 400/409/422 or a replay). Never throws. Call after the upstream
   * request headers are prepared (the client address is the leftmost X-Forwarded-For).
   */
  run(req: IncomingMessage, res: ServerResponse, requestId: string, match: RouteMatch<ApiRuntime>, query: string): void;
  /**
   * A CORS preflight on a path whose routes do not serve OPTIONS (the table says 405):
   * answered by the API's CORS policy. Returns false when there is none (answer the 405).
   */
  preflight(api: ApiRuntime, req: IncomingMessage, res: ServerResponse, requestId: string): boolean;
  /** WebSocket handshakes pass authentication and rate limits too, then go on to `next`. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, next: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void;
}

type Headers = Record<string, string | string[]>;

/**
 * The policy phase of a request, between routing and the upstream (README: "Policies"):
 *
 *   consumer header stripped → CORS (a preflight is answered here, never forwarded)
 *   → authentication (the consumer header set) → rate limits (API, then route)
 *   → idempotency key (body buffered and hashed; claim, replay or refuse) → forward
 *
 * Everything it needs was built when the config was applied (`ApiPolicies`); per
 * request it only decides. An API with no policy but the consumer header goes on
 * synchronously. CORS and RateLimit headers go on whatever answer the request gets.
 * Nothing here logs a credential.
 */
export function createPolicyPhase(options: PolicyPhaseOptions): PolicyPhase {
  const { forwarder, edge, getConfig, logger } = options;
  const events = options.events ?? {};
  const maxBodyBytes = edge.settings.maxBodyBytes;

  function run(req: IncomingMessage, res: ServerResponse, requestId: string, match: RouteMatch<ApiRuntime>, query: string): void {
    const p = match.api.policies;
    // Whatever the client sent as the consumer header never reaches the upstream.
    setConsumerHeader(req.headers, p.consumerHeader, undefined);
    if (!p.passive) {
      enforce(p, req, res, requestId, match, query).catch((err: unknown) => {
        logger.error({ requestId, api: p.api, err: { message: (err as Error)?.message } }, 'policy phase failed');
        sendPolicyError(res, 500, ErrorCodes.GW_INTERNAL, 'the gateway failed to apply this API\'s policies', {}, requestId);
      });
      return;
    }
    forwarder.forward(req, res, requestId, match.api, match.forwardPath, query);
  }

  async function enforce(p: ApiPolicies, req: IncomingMessage, res: ServerResponse, requestId: string, match: RouteMatch<ApiRuntime>, query: string): Promise<void> {
    const method = req.method ?? 'GET';
    const responseHeaders: Headers = {};
    addResponseHeaders(res, responseHeaders);

    if (p.cors !== undefined) {
      const d = corsDecision(p.cors, method, req.headers);
      if (d.kind === 'preflight-allowed') return answerPreflight(res, d.headers, requestId);
      if (d.kind === 'preflight-rejected') {
        events.corsRejected?.(p.api);
        return sendPolicyError(res, 403, ErrorCodes.GW_CORS_REJECTED, `CORS preflight refused: ${d.reason}`, d.headers, requestId);
      }
      if (d.kind === 'actual') Object.assign(responseHeaders, d.headers);
    }

    let consumer: string | undefined;
    let target = req.url ?? '/';
    if (p.auth !== undefined) {
      const r = await p.auth.authenticate({ url: target, headers: req.headers });
      if (!r.ok) {
        events.authFailure?.(p.api, r.code);
        return sendPolicyError(res, r.status, r.code, r.message, r.headers, requestId);
      }
      for (const h of r.removeHeaders) delete req.headers[h];
      if (r.url !== target) {
        // The API key came in the query and is not forwarded.
        target = r.url;
        const q = target.indexOf('?');
        query = q === -1 ? '' : target.slice(q);
      }
      consumer = r.consumer;
      setConsumerHeader(req.headers, p.consumerHeader, consumer);
    }

    const clientIp = preparedClientAddress(req) ?? '';
    const limiters = p.limitersFor(match.routeName);
    if (limiters.length > 0) {
      const facts = { clientIp, headers: req.headers, consumer };
      const entries = await Promise.all(limiters.map(async (l) => ({ policy: l.policy, decision: await l.decide(rateLimitKey(l.policy.key, facts)) })));
      const outcome = rateLimitOutcome(entries);
      Object.assign(responseHeaders, outcome.headers);
      if (outcome.reject) return sendPolicyError(res, outcome.reject.status, outcome.reject.code, outcome.reject.message, {}, requestId);
    }

    let ticket: IdempotencyTicket | undefined;
    const guard = p.idempotency;
    if (guard !== undefined && guard.covers(method, req.headers)) {
      const body = await readBody(req, res, requestId, maxBodyBytes, options.budget, 'idempotency');
      if (body === undefined) return;
      const begun = await guard.begin({ api: p.api, method, path: target, headers: req.headers, consumer, clientIp, bodySha256: bodyDigest(body) });
      switch (begun.kind) {
        case 'reject':
          return sendPolicyError(res, begun.error.status, begun.error.code, begun.error.message, begun.error.headers, requestId);
        case 'replay':
          return sendReplay(res, begun.response, requestId);
        case 'proceed':
          ticket = begun.ticket;
          break;
        case 'pass':
          break;
      }
      replayBodyOnPipe(req, body);
      if (ticket !== undefined) settleWithResponse(ticket, res);
    }

    if (res.destroyed || res.writableEnded || req.socket.destroyed) {
      // The client left while the policies ran: nothing was forwarded.
      void ticket?.abort();
      return;
    }
    forwarder.forward(req, res, requestId, match.api, match.forwardPath, query);
  }

  function preflight(api: ApiRuntime, req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    const p = api.policies;
    if (p.cors === undefined) return false;
    const d = corsDecision(p.cors, req.method ?? 'GET', req.headers);
    if (d.kind === 'preflight-allowed') answerPreflight(res, d.headers, requestId);
    else if (d.kind === 'preflight-rejected') {
      events.corsRejected?.(p.api);
      sendPolicyError(res, 403, ErrorCodes.GW_CORS_REJECTED, `CORS preflight refused: ${d.reason}`, d.headers, requestId);
    } else return false;
    return true;
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, next: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void {
    const table = getConfig()?.table;
    // The upgrade handler refuses what the edge refuses or nothing routes; it runs the same checks again.
    if (table === undefined || edge.check(req) !== undefined) return next(req, socket, head);
    const url = req.url!;
    const q = url.indexOf('?');
    const match = table.match('GET', req.headers.host, q === -1 ? url : url.slice(0, q));
    if (match === undefined || match.kind !== 'route') return next(req, socket, head);
    const p = match.api.policies;
    setConsumerHeader(req.headers, p.consumerHeader, undefined);
    if (p.auth === undefined && p.limitersFor(match.routeName).length === 0) return next(req, socket, head);
    // Node removed its listeners from the upgraded socket: a reset while we wait must not crash.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    admitUpgrade(p, req, match)
      .then((refusal) => {
        socket.off('error', onError);
        if (socket.destroyed) return;
        if (refusal === undefined) return next(req, socket, head);
        const requestId = resolveRequestId(req.headers['x-request-id']);
        refuseUpgrade(socket, refusal.status, refusal.code, refusal.message, refusal.headers, requestId);
      })
      .catch((err: unknown) => {
        logger.error({ api: p.api, err: { message: (err as Error)?.message } }, 'policy phase failed for a WebSocket handshake');
        socket.destroy();
      });
  }

  async function admitUpgrade(p: ApiPolicies, req: IncomingMessage, match: RouteMatch<ApiRuntime>): Promise<{ status: number; code: string; message: string; headers: Headers } | undefined> {
    let consumer: string | undefined;
    if (p.auth !== undefined) {
      const r = await p.auth.authenticate({ url: req.url ?? '/', headers: req.headers });
      if (!r.ok) {
        events.authFailure?.(p.api, r.code);
        return { status: r.status, code: r.code, message: r.message, headers: r.headers };
      }
      for (const h of r.removeHeaders) delete req.headers[h];
      req.url = r.url;
      consumer = r.consumer;
      setConsumerHeader(req.headers, p.consumerHeader, consumer);
    }
    const limiters = p.limitersFor(match.routeName);
    if (limiters.length === 0) return undefined;
    // Before the upgrade handler prepares X-Forwarded-For: the same trusted-hops rule it applies.
    const peer = unmapIpv4(req.socket.remoteAddress ?? '');
    const facts = { clientIp: trustedClientAddress(req.headers['x-forwarded-for'], peer, edge.trustedProxyHops), headers: req.headers, consumer };
    const entries = await Promise.all(limiters.map(async (l) => ({ policy: l.policy, decision: await l.decide(rateLimitKey(l.policy.key, facts)) })));
    const outcome = rateLimitOutcome(entries);
    return outcome.reject ? { ...outcome.reject, headers: outcome.headers } : undefined;
  }

  return { run, preflight, upgrade };
}

/**
 * Stores the response the client gets for the key, or releases the claim when the request
 * provably never reached an upstream (the breaker refused it, or every try failed before
 * its connection was up, so the body was never sent). When the client leaves before any
 * answer while the request may have reached the upstream, the claim is kept until its
 * `lockTtlMs`: repeats get 409 meanwhile, never a second run.
 */
function settleWithResponse(ticket: IdempotencyTicket, res: ServerResponse): void {
  const recorder = ticket.recorder();
  const watched = watchResponse(res, (chunk) => recorder.write(chunk));
  let settled = false;
  const settle = (finished: boolean) => {
    if (settled) return;
    settled = true;
    const ex = exchangeOf(res);
    const neverSent = ex === undefined || ex.tries === 0 || ex.body === BODY_UNREAD;
    const head = watched.head();
    if (head === undefined) {
      if (neverSent) void ticket.abort();
      return;
    }
    if (finished && neverSent && ex?.phase !== STREAMING) return void ticket.abort();
    // A response cut mid-body keeps only its status: repeats get 409, never a second run.
    void ticket.complete({ status: head.status, headers: head.headers, body: finished ? recorder.body() : undefined });
  };
  res.once('finish', () => settle(true));
  res.once('close', () => settle(false));
}
