import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ScrapeGauge } from './scrape-gauge.js';

describe('ScrapeGauge', () => {
  it('answers each scrape with what its collect sets then, and keeps no series between scrapes', async () => {
    const registry = new Registry();
    let apis = ['a', 'b'];
    const gauge = new ScrapeGauge({
      name: 'test_per_api',
      help: 'per API',
      labelNames: ['api'],
      registers: [registry],
      collect() {
        for (const [i, api] of apis.entries()) this.set({ api }, i + 1);
      },
    });
    const first = await registry.metrics();
    expect(first).toContain('test_per_api{api="a"} 1\ntest_per_api{api="b"} 2');
    expect(await registry.metrics()).toBe(first);
    apis = ['b'];
    // No reset in collect: the series of "a" is gone all the same.
    expect(await registry.metrics()).not.toContain('api="a"');
    expect(await registry.metrics()).toContain('test_per_api{api="b"} 1');
    // A series set between scrapes shows once, in the next one.
    apis = [];
    gauge.set({ api: 'x' }, 7);
    expect(await registry.metrics()).toContain('test_per_api{api="x"} 7');
    expect(await registry.metrics()).not.toContain('api="x"');
  });
});
