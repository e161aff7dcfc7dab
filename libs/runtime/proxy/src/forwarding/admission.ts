import { ADMITTED, OPEN } from '@gw/upstreams';
import { sendProxyError, type ProxyError } from '../error-response.js';
import { CIRCUIT_FULL, CIRCUIT_OPEN, CIRCUIT_WAIT_EXPIRED } from './circuit-breaker-errors.js';
import { DONE, WAITING, clearTimers, type Exchange } from './exchange.js';
import { startTry } from './upstream-try.js';

/**
 * Step 1 of forwarding (after forwarder.ts set up the exchange): admission by the API's
 * circuit breaker. The breaker gives a slot (held until the response ends, across tries:
 * `holdsSlot`), queues the request for up to `totalMs`, or refuses it at once with
 * 503 GW_CIRCUIT_OPEN. An admitted request goes on to its first try (upstream-try.ts).
 */
export function admit(ex: Exchange): void {
  const breaker = ex.upstream.breaker;
  if (breaker === undefined) return startTry(ex);
  const admission = breaker.tryAcquire();
  if (admission === ADMITTED) {
    ex.holdsSlot = true;
    return startTry(ex);
  }
  if (admission !== OPEN) {
    const pending = { grant: (granted: boolean) => onSlot(ex, granted) };
    if (breaker.enqueue(pending)) {
      ex.pending = pending;
      ex.timer = setTimeout(onWaitTimeout, ex.upstream.definition.timeouts.totalMs, ex);
      return;
    }
  }
  reject(ex, admission === OPEN ? CIRCUIT_OPEN : CIRCUIT_FULL, admission === OPEN ? 'open' : 'full');
}

/** The breaker's answer to a queued request: a slot, or a refusal because it opened meanwhile. */
function onSlot(ex: Exchange, granted: boolean): void {
  ex.pending = undefined;
  clearTimeout(ex.timer);
  ex.timer = undefined;
  if (!granted) return reject(ex, CIRCUIT_OPEN, 'open');
  if (ex.phase !== WAITING) {
    // Over while it waited (cancelling normally prevents this): hand the slot straight back.
    ex.upstream.breaker?.release();
    return;
  }
  ex.holdsSlot = true;
  startTry(ex);
}

/** The request waited in the breaker's queue for all of `totalMs`. */
function onWaitTimeout(ex: Exchange): void {
  ex.timer = undefined;
  if (ex.phase !== WAITING || ex.pending === undefined) return;
  ex.upstream.breaker?.cancel(ex.pending);
  ex.pending = undefined;
  reject(ex, CIRCUIT_WAIT_EXPIRED, 'wait-expired');
}

function reject(ex: Exchange, error: ProxyError, reason: 'open' | 'full' | 'wait-expired'): void {
  if (ex.phase === DONE) return;
  ex.phase = DONE;
  clearTimers(ex);
  ex.context.events.circuitRejected?.(ex.api.name, reason);
  sendProxyError(ex.res, error, ex.requestId);
}
