import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricSample } from '@gw/test-kit';
import { RequestMetrics } from './request-metrics.js';

describe('RequestMetrics', () => {
  it('counts requests by API and status code, and renders the duration histogram cumulatively', async () => {
    const registry = new Registry();
    const m = new RequestMetrics(registry);
    m.requestEnded('orders', 200, 0.0003);
    m.requestEnded('orders', 200, 0.002);
    m.requestEnded('orders', 503, 0.2);
    m.requestEnded('orders', 200, 30);
    m.requestEnded('', 404, 0.0001);
    m.requestEnded('users', 1234, 0.001);

    const text = await registry.metrics();
    expect(text).toContain('# TYPE gateway_http_requests_total counter');
    expect(text).toContain('# TYPE gateway_http_request_duration_seconds histogram');
    expect(metricSample(text, 'gateway_http_requests_total', { api: 'orders', code: '200' })).toBe(3);
    expect(metricSample(text, 'gateway_http_requests_total', { api: 'orders', code: '503' })).toBe(1);
    expect(metricSample(text, 'gateway_http_requests_total', { api: '', code: '404' })).toBe(1);
    // A status outside 100–599 cannot add unbounded series.
    expect(metricSample(text, 'gateway_http_requests_total', { api: 'users', code: 'other' })).toBe(1);

    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'orders', le: '0.0005' })).toBe(1);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'orders', le: '0.0025' })).toBe(2);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'orders', le: '0.25' })).toBe(3);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'orders', le: '10' })).toBe(3);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'orders', le: '+Inf' })).toBe(4);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_count', { api: 'orders' })).toBe(4);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_sum', { api: 'orders' })).toBeCloseTo(30.2023, 6);
    // A boundary value falls in its own bucket (le is "less than or equal").
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'users', le: '0.001' })).toBe(1);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_bucket', { api: 'users', le: '0.0005' })).toBe(0);
  });

  it('keeps counting across scrapes without double counting', async () => {
    const registry = new Registry();
    const m = new RequestMetrics(registry);
    m.requestEnded('a', 200, 0.01);
    await registry.metrics();
    m.requestEnded('a', 200, 0.01);
    const text = await registry.metrics();
    expect(metricSample(text, 'gateway_http_requests_total', { api: 'a', code: '200' })).toBe(2);
    expect(metricSample(text, 'gateway_http_request_duration_seconds_count', { api: 'a' })).toBe(2);
    // The JSON form (getMetricsAsJSON) carries the same numbers.
    const json = await registry.getMetricsAsJSON();
    const histogram = json.find((x) => x.name === 'gateway_http_request_duration_seconds')!;
    expect(histogram.values.find((v) => (v as { metricName?: string }).metricName === 'gateway_http_request_duration_seconds_count')?.value).toBe(2);
  });
});
