import type { UpstreamNode } from './topology.js';

export interface SampleApi {
  name: string;
  basePath: string;
  upstream: { targets: { url: string; zone: string }[] };
}

/**
 * The API the demo deploys: `/hello` over every zone's sample upstream, each target
 * tagged with its zone so that zone-aware balancing keeps a zone's traffic in the zone.
 */
export function helloApi(upstreams: UpstreamNode[], name = 'hello'): SampleApi {
  return { name, basePath: `/${name}`, upstream: { targets: upstreams.map((u) => ({ url: u.url, zone: u.zone })) } };
}
