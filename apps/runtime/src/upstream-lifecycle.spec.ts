// The runtime's upstream wiring over a real health-check target on 127.0.0.1: table swaps
// start and stop checks, keep state, and transitions reach the log and the metrics.
import { createServer, type Server } from 'node:http';
import type { ApiDefinition } from '@gw/api-schema';
import { plainApi, plainUpstream } from '@gw/api-schema/testing';
import { snapshotOf } from '@gw/config-contract/testing';
import { RuntimeState } from '@gw/runtime-config';
import { testServices } from '@gw/runtime-config/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listenLocal, metricSample, waitFor } from '@gw/test-kit';
import { type LogRecord, recordingLogger } from '@gw/logging/testing';
import { UpstreamLifecycle } from './upstream-lifecycle.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function healthTarget(): Promise<{ url: string; healthy: { value: boolean }; checks: { n: number } }> {
  const healthy = { value: true };
  const checks = { n: 0 };
  const server: Server = createServer((req, res) => {
    checks.n++;
    res.writeHead(healthy.value ? 200 : 500).end();
  });
  const port = await listenLocal(server);
  cleanups.push(() => closeServer(server));
  return { url: `http://127.0.0.1:${port}`, healthy, checks };
}

// A generous timeout: a check that times out on a loaded machine would be a transition the test did not cause.
const CHECK = { path: '/health', intervalMs: 250, timeoutMs: 250, healthyThreshold: 1, unhealthyThreshold: 1 };

/** The lifecycle wired as the runtime wires it: upstream handles built with its context, health checks following each swap. */
function wired(records: LogRecord[], register: Registry) {
  let state: RuntimeState | undefined;
  // The runtime's logger carries its ZONE on every line (main.ts binds it).
  const lifecycle = new UpstreamLifecycle({ zone: 'a', logger: recordingLogger(records, { zone: 'a' }), register, config: () => state?.getConfig() });
  cleanups.push(() => lifecycle.stop());
  state = new RuntimeState({ maxApis: 100, services: testServices({ upstreams: lifecycle.context }) });
  state.onSwap((next) => lifecycle.follow(next));
  let version = 0;
  const apply = (apis: ApiDefinition[]) => expect(state!.apply(snapshotOf(apis, ++version), 'controller')).toEqual({ ok: true });
  const upstream = (name: string) => state!.getConfig()?.apis.get(name)?.upstream;
  return { lifecycle, apply, upstream, names: () => [...(state!.getConfig()?.apis.keys() ?? [])] };
}

describe('UpstreamLifecycle', () => {
  it('follows table swaps, logs transitions (warn when a target goes out) and exports them', async () => {
    const target = await healthTarget();
    const other = await healthTarget();
    const records: LogRecord[] = [];
    const register = new Registry();
    const { lifecycle, apply, upstream, names } = wired(records, register);

    const config1 = [plainApi('orders', '/orders', [], { upstream: plainUpstream([target.url, other.url], { healthCheck: CHECK }) })];
    apply(config1);
    const first = upstream('orders')!;
    expect(lifecycle.context.localZone).toBe('a');
    await waitFor('checks', () => target.checks.n >= 2);

    target.healthy.value = false;
    // Checks the target answered after the flip: any check sent before it (a 200 that could
    // bring the target back under healthyThreshold 1) has finished by then.
    const checksAtFlip = target.checks.n;
    // This target's record: on a loaded machine the other target's check may time out too.
    const unhealthy = () => records.find((r) => r.msg === 'upstream target unhealthy' && r.fields['target'] === target.url);
    await waitFor('unhealthy logged', () => unhealthy() !== undefined);
    await waitFor('checked twice since the flip, and out', () => target.checks.n >= checksAtFlip + 2 && first.health.targets[0]!.activeHealthy === false);
    expect(unhealthy()).toMatchObject({
      level: 'warn',
      // The target's zone does not overwrite the runtime's (it used to show "zone": null).
      fields: { api: 'orders', target: target.url, event: 'unhealthy', reason: 'active-check', zone: 'a', targetZone: null },
    });

    // The same config again keeps the handle; a new config with the API changed keeps the target's verdict.
    apply(config1);
    expect(upstream('orders')).toBe(first);
    apply([
      plainApi('orders', '/orders', [], { upstream: plainUpstream([target.url], { healthCheck: CHECK, retries: { ...plainUpstream([]).retries, attempts: 1 } }) }),
      plainApi('users', '/users', [other.url]),
    ]);
    const second = upstream('orders')!;
    expect(second).not.toBe(first);
    expect(second.health.targets[0]!.activeHealthy).toBe(false);
    expect(names()).toEqual(['orders', 'users']);

    // The other target's checks stopped with the swap (users has none).
    const otherChecks = other.checks.n;
    target.healthy.value = true;
    const healthy = () => records.find((r) => r.msg === 'upstream target healthy' && r.fields['target'] === target.url);
    await waitFor('healthy logged', () => healthy() !== undefined);
    expect(healthy()!.level).toBe('info');
    expect(other.checks.n - otherChecks).toBeLessThanOrEqual(1);

    const text = await register.metrics();
    expect(metricSample(text, 'gateway_upstream_health_transitions_total', { api: 'orders', target: target.url, event: 'unhealthy', reason: 'active-check' })).toBe(1);
    expect(metricSample(text, 'gateway_upstream_health_transitions_total', { api: 'orders', target: target.url, event: 'healthy', reason: 'active-check' })).toBe(1);
    expect(metricSample(text, 'gateway_upstream_targets', { api: 'orders', state: 'healthy' })).toBe(1);
    expect(metricSample(text, 'gateway_upstream_targets', { api: 'users', state: 'healthy' })).toBe(1);
    expect(metricSample(text, 'gateway_upstream_health_checks_total', { api: 'orders', target: target.url, result: 'fail' })).toBeGreaterThanOrEqual(1);

    lifecycle.metrics.events.retry!('orders', 'connect-failure');
    lifecycle.metrics.events.circuitRejected!('orders', 'open');
    lifecycle.metrics.events.retryBudgetExhausted!('orders');
    lifecycle.metrics.events.streamIdle!('orders');
    const after = await register.metrics();
    expect(metricSample(after, 'gateway_upstream_retries_total', { api: 'orders', reason: 'connect-failure' })).toBe(1);
    expect(metricSample(after, 'gateway_upstream_circuit_rejections_total', { api: 'orders', reason: 'open' })).toBe(1);
    expect(metricSample(after, 'gateway_upstream_retry_budget_exhausted_total', { api: 'orders' })).toBe(1);
    expect(metricSample(after, 'gateway_upstream_stream_idle_total', { api: 'orders' })).toBe(1);
  });

  it('counts breaker transitions and exposes the breaker state', async () => {
    const register = new Registry();
    const records: LogRecord[] = [];
    const { apply, upstream } = wired(records, register);
    const breaker = { maxConcurrent: 10, maxPending: 0, failureRatePercent: 50, windowMs: 10_000, minRequests: 2, openMs: 60_000, halfOpenRequests: 1 };
    apply([plainApi('pay', '/pay', [], { upstream: plainUpstream(['http://127.0.0.1:9'], { circuitBreaker: breaker }) })]);
    const up = upstream('pay')!;
    up.report(0, false);
    up.report(0, false);
    const text = await register.metrics();
    expect(metricSample(text, 'gateway_upstream_circuit_state', { api: 'pay' })).toBe(2);
    expect(metricSample(text, 'gateway_upstream_circuit_transitions_total', { api: 'pay', to: 'open' })).toBe(1);
    expect(records.find((r) => r.msg === 'circuit breaker opened')).toMatchObject({ level: 'warn', fields: { api: 'pay', to: 'open' } });
  });

  it('a change to API B keeps API A\'s health state, breaker and running checks; checks follow A\'s own changes and removal', async () => {
    const target = await healthTarget();
    const records: LogRecord[] = [];
    const { apply, upstream } = wired(records, new Registry());
    const breaker = { maxConcurrent: 10, maxPending: 0, failureRatePercent: 50, windowMs: 60_000, minRequests: 2, openMs: 60_000, halfOpenRequests: 1 };
    const a = plainApi('a', '/a', [], { upstream: plainUpstream([target.url], { healthCheck: CHECK, circuitBreaker: breaker }) });
    apply([a, plainApi('b', '/b', ['http://127.0.0.1:9'])]);
    const handle = upstream('a')!;
    target.healthy.value = false;
    await waitFor('A unhealthy', () => handle.health.targets[0]!.activeHealthy === false);
    handle.report(0, false);
    handle.report(0, false);
    expect(handle.breaker!.state).toBe('open');

    // B changes (a new target) and a new API arrives: A is untouched.
    apply([a, plainApi('b', '/b', ['http://127.0.0.1:10']), plainApi('c', '/c', ['http://127.0.0.1:11'])]);
    expect(upstream('a')).toBe(handle);
    expect(handle.breaker!.state).toBe('open');
    expect(handle.health.targets[0]!.activeHealthy).toBe(false);
    // A's checks go on reporting to A's handle: the target recovers and A hears of it.
    target.healthy.value = true;
    await waitFor('A healthy again', () => handle.health.targets[0]!.activeHealthy === true);

    // A's own check settings change: the checks follow the new handle, which keeps the verdict.
    apply([plainApi('a', '/a', [], { upstream: plainUpstream([target.url], { healthCheck: { ...CHECK, intervalMs: 20, timeoutMs: 20 }, circuitBreaker: breaker }) }), plainApi('c', '/c', ['http://127.0.0.1:11'])]);
    const changed = upstream('a')!;
    expect(changed).not.toBe(handle);
    target.healthy.value = false;
    await waitFor('the new handle hears the check', () => changed.health.targets[0]!.activeHealthy === false);

    // A leaves: its checks stop.
    apply([plainApi('c', '/c', ['http://127.0.0.1:11'])]);
    const checks = target.checks.n;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(target.checks.n - checks).toBeLessThanOrEqual(1);
  });
});

