// The runtime's policy wiring without processes: policies are built with each applied
// table (a snapshot whose policies cannot be built is refused and the old table stays),
// metrics come from the policy events, and a runtime without REDIS_URL reports local state.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@gw/logging';
import { PolicyRegistry } from '@gw/proxy';
import { hashSnapshotContent, noPolicies, type Snapshot, type SnapshotContent } from '@gw/config-contract';
import { plainApi } from '@gw/config-contract/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PolicyMetrics } from './policy-metrics.js';
import { RuntimeState } from './runtime-state.js';
import { connectSharedState } from './shared-state-wiring.js';

function snapshot(version: number, k: string | undefined): Snapshot {
  const policies = noPolicies();
  if (k !== undefined) {
    policies.auth.enabled = true;
    policies.auth.jwt = { ...policies.auth.jwt, enabled: true, keys: [{ kty: 'oct', kid: 'hs', alg: '', use: '', crv: '', x: '', y: '', n: '', e: '', k }], algorithms: ['HS256'], consumerClaim: 'sub' };
  }
  const content: SnapshotContent = { apis: [plainApi('orders', '/orders', ['http://127.0.0.1:9'], { policies })] };
  return { version, epoch: 1, hash: hashSnapshotContent(content), content };
}

describe('policies built with each applied table', () => {
  it('builds the policies before the swap, and refuses a snapshot whose policies cannot be built without quoting its secret', () => {
    const registry = new PolicyRegistry();
    const state = new RuntimeState({ maxApis: 10, prepare: (table, content) => registry.prepare(table, content) });
    expect(state.apply(snapshot(1, randomBytes(32).toString('base64url')), 'controller')).toEqual({ ok: true });
    const good = state.getTable()!;
    expect(registry.forRoute(good.routes[0]!)?.auth).toBeDefined();

    // Structurally valid (the snapshot's own validation passes), but a 64-bit HMAC secret.
    const weak = randomBytes(8).toString('base64url');
    const verdict = state.apply(snapshot(2, weak), 'controller');
    expect(verdict).toMatchObject({ ok: false, code: 'GW_SNAPSHOT_INVALID' });
    expect(!verdict.ok && verdict.message).toContain('apis[orders].policies.auth');
    expect(!verdict.ok && verdict.message).not.toContain(weak);
    expect(state.getTable()).toBe(good);
    expect(state.applied?.version).toBe(1);
  });
});

describe('policy metrics and shared state', () => {
  it('counts decisions, fallbacks, idempotency outcomes and auth failures; -1 for shared state without Redis', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_f: unknown, msg: string) => void warnings.push(msg), error() {}, child: () => logger } as unknown as Logger;
    const shared = connectSharedState(undefined, 'rt-1', logger);
    expect(shared.report()).toEqual({ mode: 'local', target: null, available: null, outages: 0 });
    expect(warnings.join()).toContain('no REDIS_URL');

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
