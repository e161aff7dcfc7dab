import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { removeDeletedApiSeries } from './api-series.js';
import { PolicyMetrics } from './policy-metrics.js';
import { RequestMetrics } from './request-metrics.js';
import { UpstreamMetrics } from './upstream-metrics.js';

function apisIn(text: string): Set<string> {
  return new Set([...text.matchAll(/[{,]api="([^"]*)"/g)].map((m) => m[1]!));
}

describe('removeDeletedApiSeries', () => {
  it('removes every series of a deleted API from the runtime metrics, keeps the live ones and unmatched requests', async () => {
    const registry = new Registry();
    const requests = new RequestMetrics(registry);
    const policy = new PolicyMetrics(registry, () => ({ mode: 'local', target: null, available: null, outages: 0 }) as never);
    const upstream = new UpstreamMetrics(registry, () => []);
    const plain = new Histogram({ name: 'test_api_seconds', help: 'a plain histogram with an api label', labelNames: ['api'], buckets: [1], registers: [registry] });
    for (const api of ['kept', 'gone']) {
      requests.requestEnded(api, 200, 0.01);
      policy.events.rateLimitDecision!(api, `${api}/per-client`, 'allowed', 'local');
      policy.events.authFailure!(api, 'GW_UNAUTHORIZED');
      upstream.events.retry!(api, 'reset');
      upstream.check({ upstream: api, target: 'http://t', result: { passed: true } } as never);
      plain.observe({ api }, 0.5);
    }
    requests.requestEnded('', 404, 0.001);
    expect(apisIn(await registry.metrics())).toEqual(new Set(['kept', 'gone', '']));

    const live = new Set(['kept']);
    requests.retainApis(live);
    // Rate-limit decisions, auth failures, retries, health checks, the plain histogram (request counts went with retainApis).
    expect(await removeDeletedApiSeries(registry, live)).toBe(5);

    const text = await registry.metrics();
    expect(apisIn(text)).toEqual(new Set(['kept', '']));
    expect(text).toContain('gateway_http_requests_total{api="kept",code="200"} 1');
    expect(text).toContain('gateway_rate_limit_decisions_total{api="kept",policy="kept/per-client",outcome="allowed",source="local"} 1');
    expect(text).toContain('gateway_upstream_retries_total{api="kept",reason="reset"} 1');
    expect(text).toContain('test_api_seconds_count{api="kept"} 1');
    // Nothing left to remove the second time.
    expect(await removeDeletedApiSeries(registry, live)).toBe(0);
  });
});
