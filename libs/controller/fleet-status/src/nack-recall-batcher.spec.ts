// Batched NACK recalls over real PostgreSQL: the recalls of a resync storm are read in a
// few statements, each runtime gets its own last NACK (or none), and a failed read fails
// the recalls it covered.
import { createFleetStore, type FleetStore, type RuntimeSessionRecord } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NackRecallBatcher } from './nack-recall-batcher.js';

let temp: MigratedTempDatabase;
let fleet: FleetStore;

beforeAll(async () => {
  temp = await createMigratedTempDatabase({ prefix: 'gw_test_nack_recall', poolMax: 2 });
  fleet = createFleetStore(temp.database.db);
});
afterAll(async () => {
  await temp?.dispose();
});

function record(runtimeId: string, nackVersion?: number): RuntimeSessionRecord {
  const at = new Date();
  return {
    runtimeId,
    sessionId: `ctl-1/boot/${runtimeId}`,
    zone: 'a',
    controllerId: 'ctl-1',
    buildVersion: '1',
    peer: 'ipv4:127.0.0.1:1',
    connected: true,
    connectedAt: at,
    disconnectedAt: undefined,
    applied: { version: 3, epoch: 1, hash: 'h3' },
    lastNack: nackVersion === undefined ? undefined : { version: nackVersion, epoch: 1, code: 'GW_SNAPSHOT_INVALID', message: 'no', at },
  };
}

describe('NackRecallBatcher', () => {
  it('reads the recalls of a storm in one statement per batch, each runtime its own NACK', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `rt-${i}`);
    // Every third runtime NACKed version 100 + i; the rest never NACKed; rt-unknown has no row.
    await fleet.recordSessions(
      ids.map((id, i) => record(id, i % 3 === 0 ? 100 + i : undefined)),
      { takeOverAfterMs: 15_000 },
    );
    const batcher = new NackRecallBatcher({ store: fleet, gatherMs: 50, batch: 50 });
    const answers = await Promise.all([...ids, 'rt-unknown', 'rt-0'].map((id) => batcher.recall(id)));
    // 122 recalls of 121 distinct runtimes, at most 50 per read: 3 reads, not 122.
    expect(batcher.reads).toBe(3);
    ids.forEach((_, i) => expect(answers[i]).toEqual(i % 3 === 0 ? { epoch: 1, version: 100 + i } : undefined));
    expect(answers[120]).toBeUndefined();
    expect(answers[121]).toEqual({ epoch: 1, version: 100 });
  });

  it('fails the recalls of a read that failed (the stream then goes on without them)', async () => {
    const batcher = new NackRecallBatcher({
      store: { lastNacks: () => Promise.reject(new Error('database down')) },
      gatherMs: 1,
    });
    await expect(Promise.all([batcher.recall('a'), batcher.recall('b')])).rejects.toThrow('database down');
    expect(batcher.reads).toBe(1);
  });
});
