import type { ApiDefinition } from '@gw/api-schema';
import { JwksCacheRegistry } from '@gw/auth';
import { snapshotOf } from '@gw/config-contract/testing';
import { MemoryIdempotencyStore } from '@gw/idempotency';
import { silentLogger } from '@gw/logging';
import { systemClock } from '@gw/upstreams';
import type { RuntimeConfigServices } from '../runtime-config.js';
import { RuntimeState } from '../runtime-state.js';

/** Services for building configs in tests: no Redis, idempotency keys in memory, silent logs, the real clock, no zone. */
export function testServices(overrides: Partial<RuntimeConfigServices> = {}): RuntimeConfigServices {
  return {
    jwks: new JwksCacheRegistry({ logger: silentLogger }),
    idempotencyStore: new MemoryIdempotencyStore(),
    redis: undefined,
    decisionTimeoutMs: 100,
    events: {},
    logger: silentLogger,
    upstreams: { localZone: undefined, clock: systemClock, random: Math.random },
    ...overrides,
  };
}

/** A runtime state that runs these APIs (version 1), for tests of what reads the config. */
export function stateWith(apis: readonly ApiDefinition[], services: RuntimeConfigServices = testServices()): RuntimeState {
  const state = new RuntimeState({ maxApis: Number.POSITIVE_INFINITY, services });
  const verdict = state.apply(snapshotOf(apis, 1), 'controller');
  if (!verdict.ok) throw new Error(`test config refused: ${verdict.code} ${verdict.message}`);
  return state;
}
