import type { BreakerTransition, HealthTransition, Upstream } from '@gw/upstreams';
import type { CheckRecord } from '@gw/health-check';
import type { ForwardingEvents } from '@gw/proxy';
import { Counter, type Registry } from 'prom-client';
import { ScrapeGauge } from './scrape-gauge.js';

const BREAKER_STATE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Prometheus metrics of upstream health and protection, on the runtime's registry. Nothing
 * here runs for a successful request: counters move on transitions, retries, refusals and
 * active checks; gauges are read from the config in use at scrape time.
 */
export class UpstreamMetrics {
  readonly #transitions: Counter<'api' | 'target' | 'event' | 'reason'>;
  readonly #checks: Counter<'api' | 'target' | 'result'>;
  readonly #breakerTransitions: Counter<'api' | 'to'>;
  readonly #retries: Counter<'api' | 'reason'>;
  readonly #budgetExhausted: Counter<'api'>;
  readonly #rejections: Counter<'api' | 'reason'>;
  readonly #streamIdle: Counter<'api'>;

  constructor(register: Registry, upstreams: () => readonly Upstream[]) {
    const registers = [register];
    this.#transitions = new Counter({
      name: 'gateway_upstream_health_transitions_total',
      help: 'Target health transitions: unhealthy/healthy (active checks), ejected/restored (outlier detection)',
      labelNames: ['api', 'target', 'event', 'reason'],
      registers,
    });
    this.#checks = new Counter({
      name: 'gateway_upstream_health_checks_total',
      help: 'Active health checks by result (pass or fail)',
      labelNames: ['api', 'target', 'result'],
      registers,
    });
    this.#breakerTransitions = new Counter({
      name: 'gateway_upstream_circuit_transitions_total',
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: ['api', 'to'],
      registers,
    });
    this.#retries = new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'Retries started, by what the previous try ran into (connect-failure, reset, timeout or a status)',
      labelNames: ['api', 'reason'],
      registers,
    });
    this.#budgetExhausted = new Counter({
      name: 'gateway_upstream_retry_budget_exhausted_total',
      help: 'Retries not made because the retry budget was spent',
      labelNames: ['api'],
      registers,
    });
    this.#rejections = new Counter({
      name: 'gateway_upstream_circuit_rejections_total',
      help: 'Requests answered 503 GW_CIRCUIT_OPEN: breaker open, no slot and no room to wait (full), or waited the whole total timeout',
      labelNames: ['api', 'reason'],
      registers,
    });
    this.#streamIdle = new Counter({
      name: 'gateway_upstream_stream_idle_total',
      help: 'Responses cut because the upstream sent nothing for streamIdleMs after its headers',
      labelNames: ['api'],
      registers,
    });
    new ScrapeGauge({
      name: 'gateway_upstream_targets',
      help: 'Targets per API by health state (healthy, unhealthy by active checks, ejected by outlier detection)',
      labelNames: ['api', 'state'],
      registers,
      collect() {
        this.reset();
        for (const up of upstreams()) {
          const counts = { healthy: 0, unhealthy: 0, ejected: 0 };
          for (const state of up.targetStates()) counts[state]++;
          for (const [state, n] of Object.entries(counts)) this.set({ api: up.name, state }, n);
        }
      },
    });
    new ScrapeGauge({
      name: 'gateway_upstream_circuit_state',
      help: 'Circuit breaker state per API: 0 closed, 1 half-open, 2 open (absent when the breaker is off)',
      labelNames: ['api'],
      registers,
      collect() {
        this.reset();
        for (const up of upstreams()) {
          const breaker = up.breakerStatus();
          if (breaker) this.set({ api: up.name }, BREAKER_STATE[breaker.state]);
        }
      },
    });
    new ScrapeGauge({
      name: 'gateway_upstream_requests_in_flight',
      help: 'Requests holding a circuit breaker slot, per API (absent when the breaker is off)',
      labelNames: ['api'],
      registers,
      collect() {
        this.reset();
        for (const up of upstreams()) {
          const breaker = up.breakerStatus();
          if (breaker) this.set({ api: up.name }, breaker.active);
        }
      },
    });
  }

  transition(t: HealthTransition): void {
    this.#transitions.inc({ api: t.upstream, target: t.target, event: t.event, reason: t.reason });
  }

  check(c: CheckRecord): void {
    this.#checks.inc({ api: c.upstream, target: c.target, result: c.result.passed ? 'pass' : 'fail' });
  }

  breaker(api: string, t: BreakerTransition): void {
    this.#breakerTransitions.inc({ api, to: t.to });
  }

  /** The proxy's hooks. */
  readonly events: ForwardingEvents = {
    retry: (api, reason) => this.#retries.inc({ api, reason }),
    retryBudgetExhausted: (api) => this.#budgetExhausted.inc({ api }),
    circuitRejected: (api, reason) => this.#rejections.inc({ api, reason }),
    streamIdle: (api) => this.#streamIdle.inc({ api }),
  };
}
