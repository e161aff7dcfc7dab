import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The `api` label of requests no API matched: it never leaves. */
const NO_API = '';

/**
 * Removes, from every metric of `registry` labelled `api`, the series of APIs not in `live`
 * (an API deleted from the config), so `/metrics` does not keep them until a restart.
 * prom-client keeps a label set once it was used; gauges rebuilt at scrape time lose theirs
 * anyway. One pass over the registry, so a metric added later is covered without a list.
 * A request of the deleted API still in flight may bring a series back until the next
 * config change removes it again.
 */
export async function removeDeletedApiSeries(registry: Registry, live: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (const metric of registry.getMetricsAsArray()) {
    if (!(metric instanceof Counter || metric instanceof Gauge || metric instanceof Histogram)) continue;
    const m = metric as Counter<string>;
    const seen = new Set<string>();
    for (const { labels } of (await m.get()).values) {
      const api = labels['api'];
      if (typeof api !== 'string' || api === NO_API || live.has(api)) continue;
      // A histogram lists each label set once per bucket (`le`), which is not one of its labels.
      const { le: _bucket, ...own } = labels as Record<string, string | number>;
      const key = JSON.stringify(own);
      if (seen.has(key)) continue;
      seen.add(key);
      m.remove(own);
      removed++;
    }
  }
  return removed;
}
