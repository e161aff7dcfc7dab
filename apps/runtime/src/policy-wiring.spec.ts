// The runtime's policy wiring without processes: policies are built with each applied
// config (a config whose policies cannot be built is refused and the old one stays),
// metrics come from the policy events, and a runtime without REDIS_URL reports local state.
import { randomBytes } from 'node:crypto';
import { plainApi, policiesOf } from '@gw/api-schema/testing';
import { canonicalJson, contentHash, stateHash } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { RuntimeState } from '@gw/runtime-config';
import { testServices } from '@gw/runtime-config/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '@gw/logging/testing';
import { PolicyMetrics } from './policy-metrics.js';
import { connectSharedState } from './shared-state-wiring.js';

describe('policies built with each applied config', () => {
  it('builds the policies before the swap, and refuses a config with a weak HMAC secret without quoting it', () => {
    const state = new RuntimeState({ maxApis: 10, services: testServices() });
    const policies = policiesOf({ auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs', k: randomBytes(32).toString('base64url') }], algorithms: ['HS256'] } } });
    expect(state.apply(snapshotOf([plainApi('orders', '/orders', ['http://127.0.0.1:9'], { policies })], 1), 'controller')).toEqual({ ok: true });
    const good = state.getConfig()!;
    expect(good.apis.get('orders')!.policies.auth).toBeDefined();

    // A resource the controller would never compile (a 64-bit HMAC secret): the runtime's own check refuses it.
    const weak = randomBytes(8).toString('base64url');
    const api = plainApi('orders', '/orders', ['http://127.0.0.1:9'], { policies: { ...policies, auth: { ...policies.auth!, jwt: { ...policies.auth!.jwt!, keys: [{ kty: 'oct', kid: 'hs', k: weak }] } } } });
    const content = canonicalJson(api);
    const resource = { type: 'api', name: 'orders', version: 2, hash: contentHash(content), content };
    const verdict = state.apply({ version: 2, epoch: 1, hash: stateHash([resource]), resources: [resource] }, 'controller');
    expect(verdict).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    expect(!verdict.ok && verdict.message).toContain('policies.auth.jwt.keys[0].k');
    expect(!verdict.ok && verdict.message).not.toContain(weak);
    expect(state.getConfig()).toBe(good);
    expect(state.applied?.version).toBe(1);
  });
});

describe('policy metrics and shared state', () => {
  it('counts decisions, fallbacks, idempotency outcomes and auth failures; -1 for shared state without Redis', async () => {
    const logger = recordingLogger();
    const shared = connectSharedState(undefined, 'rt-1', logger);
    expect(shared.report()).toEqual({ mode: 'local', target: null, available: null, outages: 0 });
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.msg).join()).toContain('no REDIS_URL');

    const register = new Registry();
    const { events } = new PolicyMetrics(register, () => shared.report());
    events.rateLimitDecision!('orders', 'orders/per-ip', 'limited', 'fallback');
    events.rateLimitRedisFailure!('orders', 'orders/per-ip', 'open');
    events.idempotencyOutcome!('orders', 'replay');
    events.idempotencyStoreFailure!('orders', 'complete');
    events.authFailure!('orders', 'GW_AUTH_INVALID');
    events.corsRejected!('orders');
    const text = await register.metrics();
    expect(text).toContain('gateway_rate_limit_decisions_total{api="orders",policy="orders/per-ip",outcome="limited",source="fallback"} 1');
    expect(text).toContain('gateway_rate_limit_redis_failures_total{api="orders",policy="orders/per-ip",failure_mode="open"} 1');
    expect(text).toContain('gateway_idempotency_outcomes_total{api="orders",outcome="replay"} 1');
    expect(text).toContain('gateway_idempotency_store_failures_total{api="orders",operation="complete"} 1');
    expect(text).toContain('gateway_auth_failures_total{api="orders",code="GW_AUTH_INVALID"} 1');
    expect(text).toContain('gateway_cors_rejections_total{api="orders"} 1');
    expect(text).toContain('gateway_shared_state_available -1');
    expect(text).toContain('gateway_shared_state_outages_total 0');
    await shared.close();
  });
});
