import { createServer, type Server } from 'node:net';
import { UsageError } from './options.js';

/**
 * The demo's port layout from a base B (7000 by default):
 *   B          embedded PostgreSQL
 *   B+10+i     controller i HTTP (deploy API, health)     B+20+i  controller i gRPC
 *   B+30+z     sample upstream of zone z (a = 0)
 *   B+100+k    runtime k proxy                             B+200+k runtime k admin
 * Base 0 takes any free ports instead (tests, or several demos side by side).
 */
export interface PortPlan {
  database: number | undefined;
  controllers: { http: number; grpc: number }[];
  upstreams: number[];
  runtimes: { proxy: number; admin: number }[];
}

export interface PortNeeds {
  database: boolean;
  controllers: number;
  zones: number;
  runtimes: number;
}

export const HOST = '127.0.0.1';

/** The layout as numbers; with base 0 every port is 0 (any free one). Pure: no sockets. */
export function portLayout(base: number, needs: PortNeeds): PortPlan {
  const at = (offset: number) => (base === 0 ? 0 : base + offset);
  return {
    database: needs.database ? at(0) : undefined,
    controllers: Array.from({ length: needs.controllers }, (_, i) => ({ http: at(10 + i), grpc: at(20 + i) })),
    upstreams: Array.from({ length: needs.zones }, (_, z) => at(30 + z)),
    runtimes: Array.from({ length: needs.runtimes }, (_, k) => ({ proxy: at(100 + k), admin: at(200 + k) })),
  };
}

/** The layout with every port checked free (fixed base) or chosen by the OS (base 0), all distinct. */
export async function planPorts(base: number, needs: PortNeeds): Promise<PortPlan> {
  const layout = portLayout(base, needs);
  const wanted = [
    ...(layout.database === undefined ? [] : [layout.database]),
    ...layout.controllers.flatMap((c) => [c.http, c.grpc]),
    ...layout.upstreams,
    ...layout.runtimes.flatMap((r) => [r.proxy, r.admin]),
  ];
  const got = await reserve(wanted);
  let i = 0;
  const next = () => got[i++]!;
  return {
    database: layout.database === undefined ? undefined : next(),
    controllers: layout.controllers.map(() => ({ http: next(), grpc: next() })),
    upstreams: layout.upstreams.map(() => next()),
    runtimes: layout.runtimes.map(() => ({ proxy: next(), admin: next() })),
  };
}

/**
 * Binds every wanted port at once (0 = any), then releases them all: fixed ports are
 * checked up front with one clear error, and ports picked by the OS are all distinct.
 */
async function reserve(wanted: number[]): Promise<number[]> {
  const servers: Server[] = [];
  const busy: number[] = [];
  const got: number[] = [];
  for (const port of wanted) {
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, () => resolve());
      });
      servers.push(server);
      got.push((server.address() as { port: number }).port);
    } catch {
      busy.push(port);
      got.push(port);
    }
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (busy.length > 0) {
    throw new UsageError(`port(s) ${busy.join(', ')} on ${HOST} are in use: stop what uses them or pass --port-base (0 picks free ports)`);
  }
  return got;
}
