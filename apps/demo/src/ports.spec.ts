import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { UsageError } from './options.js';
import { planPorts, portLayout } from './ports.js';

const needs = { database: true, controllers: 2, zones: 3, runtimes: 6 };

describe('portLayout', () => {
  it('places everything at fixed offsets from the base', () => {
    expect(portLayout(7000, needs)).toEqual({
      database: 7000,
      controllers: [
        { http: 7010, grpc: 7020 },
        { http: 7011, grpc: 7021 },
      ],
      upstreams: [7030, 7031, 7032],
      runtimes: [0, 1, 2, 3, 4, 5].map((k) => ({ proxy: 7100 + k, admin: 7200 + k })),
    });
  });

  it('leaves the database out when an external one is used', () => {
    expect(portLayout(7000, { ...needs, database: false }).database).toBeUndefined();
  });
});

describe('planPorts', () => {
  it('with base 0 picks distinct free ports', async () => {
    const plan = await planPorts(0, needs);
    const all = [plan.database!, ...plan.controllers.flatMap((c) => [c.http, c.grpc]), ...plan.upstreams, ...plan.runtimes.flatMap((r) => [r.proxy, r.admin])];
    expect(all).toHaveLength(1 + 4 + 3 + 12);
    expect(all.every((p) => p > 0)).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses a fixed layout with a port in use, naming it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as { port: number }).port;
    try {
      // The busy port is the database's (offset 0).
      const attempt = planPorts(busy, { database: true, controllers: 0, zones: 0, runtimes: 0 });
      await expect(attempt).rejects.toThrow(UsageError);
      await expect(planPorts(busy, { database: true, controllers: 0, zones: 0, runtimes: 0 })).rejects.toThrow(`port(s) ${busy} on 127.0.0.1 are in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
