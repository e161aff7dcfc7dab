import type { PolicyEvents } from '@gw/runtime-config';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SharedStateReport } from './shared-state-wiring.js';

/**
 * Prometheus metrics of the policy phase and the shared state, on the runtime's registry.
 * Labels are API names, limiter ids (`<api>/<name>`), fixed outcomes and error codes:
 * never a consumer, a key or a client address.
 */
export class PolicyMetrics {
  readonly events: PolicyEvents;

  constructor(register: Registry, sharedState: () => SharedStateReport) {
    const registers = [register];
    new Gauge({
      name: 'gateway_shared_state_available',
      help: '1 while Redis (REDIS_URL) takes calls, 0 while it is down or unresponsive; -1 without REDIS_URL (local state)',
      registers,
      collect() {
        const s = sharedState();
        this.set(s.available === null ? -1 : s.available ? 1 : 0);
      },
    });
    let seenOutages = 0;
    new Counter({
      name: 'gateway_shared_state_outages_total',
      help: 'Times the Redis connection became unavailable (disconnected, or repeated timeouts)',
      registers,
      collect() {
        const outages = sharedState().outages;
        if (outages > seenOutages) this.inc(outages - seenOutages);
        seenOutages = Math.max(seenOutages, outages);
      },
    });
    const decisions = new Counter({
      name: 'gateway_rate_limit_decisions_total',
      help: 'Rate-limit decisions by outcome (allowed, limited, unavailable) and where they were made (redis, local, fallback, none)',
      labelNames: ['api', 'policy', 'outcome', 'source'],
      registers,
    });
    const fallbacks = new Counter({
      name: 'gateway_rate_limit_redis_failures_total',
      help: 'Global rate-limit decisions that could not use Redis: counted locally (failure_mode open) or answered 503 (closed)',
      labelNames: ['api', 'policy', 'failure_mode'],
      registers,
    });
    const idempotency = new Counter({
      name: 'gateway_idempotency_outcomes_total',
      help: 'Requests under an idempotency policy by outcome (pass, proceed, replay, missing, invalid, in-flight, reused, not-stored, unavailable)',
      labelNames: ['api', 'outcome'],
      registers,
    });
    const storeFailures = new Counter({
      name: 'gateway_idempotency_store_failures_total',
      help: 'Idempotency store calls that failed after the request was forwarded (the claim then expires after lockTtlMs)',
      labelNames: ['api', 'operation'],
      registers,
    });
    const authFailures = new Counter({
      name: 'gateway_auth_failures_total',
      help: 'Requests refused by authentication, by error code',
      labelNames: ['api', 'code'],
      registers,
    });
    const cors = new Counter({
      name: 'gateway_cors_rejections_total',
      help: 'CORS preflights refused (GW_CORS_REJECTED)',
      labelNames: ['api'],
      registers,
    });
    this.events = {
      rateLimitDecision: (api, policy, outcome, source) => decisions.inc({ api, policy, outcome, source }),
      rateLimitRedisFailure: (api, policy, failureMode) => fallbacks.inc({ api, policy, failure_mode: failureMode }),
      idempotencyOutcome: (api, outcome) => idempotency.inc({ api, outcome }),
      idempotencyStoreFailure: (api, operation) => storeFailures.inc({ api, operation }),
      authFailure: (api, code) => authFailures.inc({ api, code }),
      corsRejected: (api) => cors.inc({ api }),
    };
  }
}
