import { describe, expect, it } from 'vitest';
import { metricSample } from './metric-sample.js';

const TEXT = [
  '# HELP gw_requests_total Requests.',
  'gw_requests_total 3',
  'gw_requests_total{api="orders",code="200"} 2.5',
  'gw_requests_total_created 1700000000',
  'gw_latency_bucket{le="+Inf"} 4',
].join('\n');

describe('metricSample', () => {
  it('reads the sample of exactly the name and labels asked for, labels in any order', () => {
    expect(metricSample(TEXT, 'gw_requests_total')).toBe(3);
    expect(metricSample(TEXT, 'gw_requests_total', { code: '200', api: 'orders' })).toBe(2.5);
    expect(metricSample(TEXT, 'gw_latency_bucket', { le: '+Inf' })).toBe(4);
  });

  it('is undefined for a name or label set that is not exposed', () => {
    expect(metricSample(TEXT, 'gw_requests')).toBeUndefined();
    expect(metricSample(TEXT, 'gw_requests_total', { api: 'orders' })).toBeUndefined();
    expect(metricSample(TEXT, 'gw_requests_total', { api: 'pay', code: '200' })).toBeUndefined();
  });
});
