import { Gauge } from 'prom-client';

/**
 * A gauge whose `collect` sets every series from scratch at each scrape (per-API gauges read
 * from the config in use), and which lets go of them once the scrape has them: prom-client
 * keeps a gauge's series (a key string, a labels object and an entry each) until the next
 * scrape, ~130 bytes a series, which at 10,000 APIs and three series per API held ~6 MB for
 * nothing (docs/benchmarks.md, "Runtime memory at 10,000 APIs").
 */
export class ScrapeGauge<T extends string> extends Gauge<T> {
  override async get(): ReturnType<Gauge<T>['get']> {
    const metric = await super.get();
    // The values handed out keep their own entries; only the gauge's map goes.
    this.reset();
    return metric;
  }
}
