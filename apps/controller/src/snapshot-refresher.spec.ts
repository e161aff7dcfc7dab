import { plainApi } from '@gw/api-schema/testing';
import { compileSnapshot } from '@gw/compiler';
import { recordingLogger } from '@gw/logging/testing';
import { SnapshotCache } from '@gw/snapshot-cache';
import { createApiStore, createDesiredStateSource, createFleetStore, type DesiredStateDelta, type DesiredStateSource, type VersionMark } from '@gw/store';
import { createMigratedTempDatabase, type MigratedTempDatabase } from '@gw/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotRefresher } from './snapshot-refresher.js';

const databases: MigratedTempDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.dispose();
});

/** The real source, with every delta it answered kept for the assertions. */
function recording(source: DesiredStateSource): DesiredStateSource & { deltas: DesiredStateDelta[]; fullReads: number; marked: number } {
  const out = {
    deltas: [] as DesiredStateDelta[],
    fullReads: 0,
    /** Incremental reads given the version their stamps were read at (only names written since are looked at). */
    marked: 0,
    async readDesiredStateDelta(known: ReadonlyMap<string, string>, since?: VersionMark) {
      const delta = await source.readDesiredStateDelta(known, since);
      if (known.size === 0) out.fullReads++;
      else out.deltas.push(delta);
      if (known.size > 0 && since !== undefined) out.marked++;
      return delta;
    },
  };
  return out;
}

describe('SnapshotRefresher (PostgreSQL)', () => {
  it('compiles the whole state once, then only what changed, with the hash of a full compile; an epoch bump takes the full path', async () => {
    const d = await createMigratedTempDatabase();
    databases.push(d);
    const store = createApiStore(d.database.db);
    const source = recording(createDesiredStateSource(d.database.db));
    const cache = new SnapshotCache();
    const compiles: boolean[] = [];
    const logger = recordingLogger();
    const refresher = new SnapshotRefresher(source, cache, logger, { compiled: (_s, _ms, full) => compiles.push(full) });
    const full = async () => compileSnapshot(await store.readDesiredState()).snapshot;

    await store.applyApis(
      Array.from({ length: 200 }, (_, i) => plainApi(`api-${String(i).padStart(3, '0')}`, `/p${i}`, ['http://10.0.0.7:8080'])),
      { actor: 'test', prune: false, dryRun: false },
    );
    await refresher.refresh();
    expect(compiles).toEqual([true]);
    expect(source.fullReads).toBe(1);

    await store.putApi(plainApi('api-007', '/p7', ['http://10.0.0.8:8080']), { actor: 'test' });
    await store.deleteApi('api-100', { actor: 'test' });
    await refresher.refresh();
    expect(refresher.lastError).toBeUndefined();
    expect(compiles).toEqual([true, false]);
    const delta = source.deltas.at(-1)!;
    expect(delta.changed.map((a) => a.definition.name)).toEqual(['api-007']);
    expect(delta.removed).toEqual(['api-100']);
    expect(JSON.stringify(cache.current)).toBe(JSON.stringify(await full()));
    expect(source.marked).toBe(1);

    const fullReads = source.fullReads;
    await createFleetStore(d.database.db).bumpEpoch({ actor: 'test' });
    await refresher.refresh();
    expect(compiles).toEqual([true, false, true]);
    expect(source.fullReads).toBe(fullReads + 1);
    expect(source.deltas).toHaveLength(2);
    expect(logger.records.filter((r) => r.msg === 'snapshot compiled').map((r) => r.fields['compile'])).toEqual(['full', 'incremental', 'full']);
    expect(cache.current!.epoch).toBe((await store.readConfigState()).epoch);
    expect(JSON.stringify(cache.current)).toBe(JSON.stringify(await full()));
  });
});
