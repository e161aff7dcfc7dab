import { http } from './http.js';

/** GET `<base>/metrics` (no auth) and return the exposition text; fails on a non-200. */
export async function scrape(base: string): Promise<string> {
  const res = await http('GET', `${base}/metrics`, { timeoutMs: 5_000 });
  if (res.status !== 200) throw new Error(`GET ${base}/metrics answered ${res.status}: ${res.body.slice(0, 200)}`);
  if (!String(res.headers['content-type']).startsWith('text/plain')) throw new Error(`unexpected metrics content type ${String(res.headers['content-type'])}`);
  return res.body;
}
