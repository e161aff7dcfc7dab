import { backoffDelay } from '@gw/backoff';
import { BODY_SENT, clearTimers, fail, type Exchange } from './exchange.js';

/**
 * Step 4 of forwarding: whether this exchange may try again, and if so takes the retry
 * budget for it. The caller has checked that `retries.on` names the failure; here: the
 * method is idempotent or the request has an `Idempotency-Key` (`retryable`), its body
 * was not handed to a connection, no response byte went out (retries are decided before
 * anything is written), tries so far ≤ `attempts`, `totalMs` has time left, and the
 * retry budget allows it. After a connect failure, reset or timeout (`failure`: no
 * upstream response is waiting to be relayed) a retry the budget has no place for now is
 * still allowed and waits for one (`awaitRetryBudget`).
 *
 * A retry after a refused connect (`refused-connect`, try-failure.ts) takes no place in the
 * budget: the try it follows reached no upstream, so the retry adds no load to any (the
 * budget exists to stop retries multiplying what failing upstreams must carry), and it is
 * still bounded by `attempts` and `totalMs`. Without the exemption a target in rotation
 * that dies refuses a burst of tries at once, their retries outnumber the budget's
 * places, and the wait for one runs out: 502s although a healthy target was there
 * (docs/slow-clients.md, *upstream-kills*).
 */
/**
 * What failed, for the budget: an upstream's 5xx (its response waits to be relayed, so a
 * retry without a budget place is no retry), a try that failed before any response (may
 * wait for a place), or a refused connect (takes no place).
 */
export type RetryCause = 'status' | 'failure' | 'refused-connect';

/** The decision: no retry; a retry now (its budget place taken, or none needed); a retry once a budget place frees up (`awaitRetryBudget`). */
export type RetryGrant = false | 'now' | 'after-budget-wait';

export function mayRetry(ex: Exchange, cause: RetryCause): RetryGrant {
  if (!ex.retryable || ex.body === BODY_SENT || ex.res.headersSent) return false;
  const upstream = ex.upstream;
  if (ex.tries > upstream.definition.retries.attempts) return false;
  if (ex.deadline === 0 || ex.deadline - performance.now() <= 0) return false;
  const budget = upstream.retryBudget;
  if (ex.holdsRetry) {
    budget.retryEnded();
    ex.holdsRetry = false;
  }
  if (cause === 'refused-connect') return 'now';
  if (budget.tryAcquire()) {
    ex.holdsRetry = true;
    return 'now';
  }
  // A failure left no response to relay: the retry waits for a place.
  if (cause === 'failure') return 'after-budget-wait';
  budgetExhausted(ex);
  return false;
}

/**
 * A retry `mayRetry` allowed starts after `reason` (`connect-failure`, `reset`, `timeout`
 * or a status): the target just tried is kept out of the next pick while another exists,
 * the retry is counted and logged, and the returned delay is the full-jitter backoff, cut
 * to what is left of `totalMs` (then `timerIsDeadline`: the next try is not started, and
 * the last failure is the answer).
 */
export function beginRetry(ex: Exchange, reason: string): number {
  (ex.tried ??= []).push(ex.targetIndex);
  const retries = ex.upstream.definition.retries;
  // Before retry n (n = tries so far, 1-based): random in [0, min(max, base × 2^(n-1))).
  const backoff = backoffDelay(ex.tries - 1, { baseMs: retries.backoffBaseMs, capMs: retries.backoffMaxMs }, ex.context.random);
  const leftMs = Math.max(0, Math.ceil(ex.deadline - performance.now()));
  ex.timerIsDeadline = leftMs <= backoff;
  const delay = ex.timerIsDeadline ? leftMs : backoff;
  ex.context.events.retry?.(ex.api.name, reason);
  ex.context.logger.debug({ requestId: ex.requestId, api: ex.api.name, target: ex.target?.origin, reason, tries: ex.tries, backoffMs: delay }, 'retrying upstream request');
  return delay;
}

/**
 * A retry `mayRetry` allowed without a budget place waits for one, at most the backoff cap
 * (`backoffMaxMs`, cut to what is left of `totalMs`); the place comes when another retry
 * of this upstream ends, the backoff then runs as usual. No place in time: the last
 * failure is the answer, counted as budget exhausted. The wait itself is the bound on a
 * storm: places are never more than the budget's.
 */
export function awaitRetryBudget(ex: Exchange, reason: string, startTry: (ex: Exchange) => void): void {
  const leftMs = Math.max(0, Math.ceil(ex.deadline - performance.now()));
  ex.cancelRetryWait = ex.upstream.retryBudget.waitForSlot(() => {
    clearTimers(ex);
    ex.cancelRetryWait = undefined;
    ex.holdsRetry = true;
    ex.timer = setTimeout(startTry, beginRetry(ex, reason), ex);
  });
  ex.timer = setTimeout(retryBudgetWaitOver, Math.min(ex.upstream.definition.retries.backoffMaxMs, leftMs), ex);
}

function retryBudgetWaitOver(ex: Exchange): void {
  ex.timer = undefined;
  ex.cancelRetryWait?.();
  ex.cancelRetryWait = undefined;
  budgetExhausted(ex);
  fail(ex, ex.lastError, ex.lastFailure!);
}

/** The retry budget had no place for this retry (at once, or within the wait): counted and logged alike. */
function budgetExhausted(ex: Exchange): void {
  ex.context.events.retryBudgetExhausted?.(ex.api.name);
  ex.context.logger.debug({ requestId: ex.requestId, api: ex.api.name }, 'retry budget exhausted');
}
