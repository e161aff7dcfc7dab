// The config stream between a real ConfigServer and real ConfigClients over gRPC on
// 127.0.0.1: ACK, NACK without a resend loop, newest-only delivery to a slow runtime,
// failover between replicas without re-applying the same content.
import { ConfigClient, type ApplyVerdict, type AppliedState } from '@gw/config-client';
import { ConfigServer } from '@gw/config-server';
import { plainApi } from '@gw/api-schema/testing';
import type { ConfigSnapshot as Snapshot } from '@gw/config-contract';
import { snapshotOf } from '@gw/config-contract/testing';
import { SnapshotCache } from '@gw/snapshot-cache';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@gw/test-kit';

function snapshot(version: number, n = version, epoch = 1): Snapshot {
  return snapshotOf([plainApi('orders', '/orders', [`http://10.0.0.${n}:8080`])], version, epoch);
}

/** A runtime stand-in: records what it was sent and what it applied; the verdict is pluggable. */
class FakeRuntime {
  applied: AppliedState | undefined;
  received: number[] = [];
  applies = 0;
  verdict: (s: Snapshot) => ApplyVerdict | Promise<ApplyVerdict> = () => ({ ok: true });
  readonly client: ConfigClient;
  constructor(addresses: string[], id = 'rt-1') {
    this.client = new ConfigClient({
      addresses,
      node: { id, zone: 'a' },
      applied: () => this.applied,
      apply: async (s) => {
        this.received.push(s.version);
        if (this.applied && this.applied.hash === s.hash && this.applied.epoch === s.epoch) {
          this.applied = { ...this.applied, version: s.version };
          return { ok: true };
        }
        const v = await this.verdict(s);
        if (v.ok) {
          this.applies++;
          this.applied = { version: s.version, epoch: s.epoch, hash: s.hash };
        }
        return v;
      },
      backoff: { initialMs: 50, maxMs: 500 },
    });
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(controllerId: string, cache = new SnapshotCache()) {
  const srv = new ConfigServer({ cache, controllerId, zone: 'a' });
  const port = await srv.listen('127.0.0.1:0');
  cleanups.push(() => srv.close(500));
  return { srv, cache, address: `127.0.0.1:${port}` };
}
function runtime(addresses: string[], id?: string) {
  const rt = new FakeRuntime(addresses, id);
  rt.client.start();
  cleanups.push(() => rt.client.stop());
  return rt;
}

describe('config stream', () => {
  it('delivers the current snapshot, records the ACK, and streams newer versions', async () => {
    const { srv, cache, address } = await server('c1');
    cache.set(snapshot(1));
    const rt = runtime([address]);
    await waitFor('v1 acked', () => srv.sessions()[0]?.applied.version === 1);
    expect(rt.applied?.version).toBe(1);
    expect(srv.sessions()[0]).toMatchObject({ runtimeId: 'rt-1', zone: 'a' });
    cache.set(snapshot(2));
    await waitFor('v2 acked', () => srv.sessions()[0]?.applied.version === 2);
    expect(rt.client.status).toMatchObject({ connected: true, controllerId: 'c1' });
  });

  it('records a NACK, never resends the rejected version, and sends the next newer one', async () => {
    const { srv, cache, address } = await server('c1');
    cache.set(snapshot(1));
    const rt = runtime([address]);
    await waitFor('v1 acked', () => rt.applied?.version === 1);
    rt.verdict = (s) => (s.version === 2 ? { ok: false, code: 'GW_SNAPSHOT_INVALID', message: 'bad target' } : { ok: true });
    cache.set(snapshot(2));
    await waitFor('NACK recorded', () => srv.sessions()[0]?.lastNack);
    expect(srv.sessions()[0]!.lastNack).toMatchObject({ version: 2, code: 'GW_SNAPSHOT_INVALID', message: 'bad target' });
    expect(srv.sessions()[0]!.applied.version).toBe(1);
    // Give a resend loop every chance to show itself: a round trip through a newer version proves ordering.
    cache.set(snapshot(3));
    await waitFor('v3 acked', () => srv.sessions()[0]?.applied.version === 3);
    expect(rt.received.filter((v) => v === 2)).toHaveLength(1);
  });

  it('sends a slow runtime only the newest snapshot, never a queue', async () => {
    const { srv, cache, address } = await server('c1');
    cache.set(snapshot(1));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const rt = runtime([address]);
    rt.verdict = async (s) => {
      if (s.version === 1) await gate;
      return { ok: true };
    };
    await waitFor('v1 received', () => rt.received.includes(1));
    for (let v = 2; v <= 20; v++) cache.set(snapshot(v));
    release();
    await waitFor('v20 acked', () => srv.sessions()[0]?.applied.version === 20);
    expect(rt.received).toEqual([1, 20]);
  });

  it('fails over to the next replica when its controller goes away, without re-applying the same content', async () => {
    const a = await server('c1');
    const b = await server('c2');
    a.cache.set(snapshot(5));
    b.cache.set(snapshot(5));
    const rt = runtime([a.address, b.address]);
    await waitFor('applied from c1', () => rt.client.status.controllerId === 'c1' && rt.applied?.version === 5);
    expect(rt.applies).toBe(1);
    await a.srv.close(500);
    await waitFor('connected to c2', () => b.srv.sessions().length === 1);
    // c2 sees the runtime in sync already and sends nothing; a newer version then arrives through c2.
    expect(rt.applies).toBe(1);
    b.cache.set(snapshot(6));
    await waitFor('v6 from c2', () => rt.applied?.version === 6 && rt.client.status.controllerId === 'c2');
  });

  it('never sends a runtime a version older than the one it runs', async () => {
    const ahead = await server('c1');
    const behind = await server('c2');
    ahead.cache.set(snapshot(9));
    behind.cache.set(snapshot(4));
    const rt = runtime([ahead.address, behind.address]);
    await waitFor('v9 applied', () => rt.applied?.version === 9);
    await ahead.srv.close(500);
    await waitFor('connected to the lagging replica', () => behind.srv.sessions()[0]?.applied.version === 9);
    behind.cache.set(snapshot(7));
    behind.cache.set(snapshot(10));
    await waitFor('v10 applied', () => rt.applied?.version === 10);
    expect(rt.received).toEqual([9, 10]);
  });

  it('retries an address that is down and connects once a controller listens', async () => {
    const port = await freePort();
    const rt = runtime([`127.0.0.1:${port}`]);
    await waitFor('a failed attempt', () => rt.client.status.connects >= 2 && rt.client.status.lastError);
    const cache = new SnapshotCache();
    cache.set(snapshot(1));
    const srv = new ConfigServer({ cache, controllerId: 'late', zone: 'a' });
    await srv.listen(`127.0.0.1:${port}`);
    cleanups.push(() => srv.close(500));
    await waitFor('applied from the late controller', () => rt.applied?.version === 1, { timeoutMs: 20_000 });
  });
});
