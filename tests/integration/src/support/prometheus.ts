import { http } from './http.js';

/**
 * The value of one sample in a Prometheus text exposition, or undefined when absent.
 * `labels` must match the sample's labels exactly (order-insensitive).
 */
export function sampleValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (have === wanted) return Number(m[3]);
  }
  return undefined;
}

/** GET `<base>/metrics` (no auth) and return the exposition text; fails on a non-200. */
export async function scrape(base: string): Promise<string> {
  const res = await http('GET', `${base}/metrics`, { timeoutMs: 5_000 });
  if (res.status !== 200) throw new Error(`GET ${base}/metrics answered ${res.status}: ${res.body.slice(0, 200)}`);
  if (!String(res.headers['content-type']).startsWith('text/plain')) throw new Error(`unexpected metrics content type ${String(res.headers['content-type'])}`);
  return res.body;
}
