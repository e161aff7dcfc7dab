import { describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '@gw/logging/testing';
import { VersionFollower } from './version-follower.js';

/** A read the test resolves by hand, to control exactly when each one finishes. */
interface ManualRead {
  resolve(version: number): void;
  reject(err: unknown): void;
}

function manualReader() {
  const reads: ManualRead[] = [];
  const readVersion = () =>
    new Promise<number>((resolve, reject) => {
      reads.push({ resolve, reject });
    });
  return { reads, readVersion };
}

/** Lets pending promise callbacks run (no timers involved). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('VersionFollower', () => {
  it('with coalesceMs, a lone wake-up reads at once, and a burst right after it shares one read once the interval has passed', async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      const emitted: number[] = [];
      const follower = new VersionFollower({ readVersion: async () => ++reads, onVersion: (v) => void emitted.push(v), coalesceMs: 50 });
      follower.wake();
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(1);
      for (let i = 0; i < 20; i++) follower.wake();
      await vi.advanceTimersByTimeAsync(49);
      expect(reads).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await follower.idle();
      expect(reads).toBe(2);
      expect(emitted).toEqual([1, 2]);
      // After a quiet spell, at once again.
      await vi.advanceTimersByTimeAsync(100);
      follower.wake();
      await vi.advanceTimersByTimeAsync(0);
      expect(reads).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with coalesceMs, a steady stream of wake-ups never starves the read: one read per interval', async () => {
    vi.useFakeTimers();
    try {
      let reads = 0;
      const follower = new VersionFollower({ readVersion: async () => ++reads, onVersion: () => undefined, coalesceMs: 10 });
      // A wake-up every millisecond for 100 ms: a debounce that restarts would never read.
      for (let t = 0; t < 100; t++) {
        follower.wake();
        await vi.advanceTimersByTimeAsync(1);
      }
      expect(reads).toBeGreaterThanOrEqual(9);
      expect(reads).toBeLessThanOrEqual(11);
      await vi.advanceTimersByTimeAsync(20);
      await follower.idle();
    } finally {
      vi.useRealTimers();
    }
  });

  it('emits the first version read, then only strictly greater ones', async () => {
    const values = [3, 3, 2, 5, 4, 5, 6];
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion: async () => values.shift() ?? -1, onVersion: (v) => void emitted.push(v) });
    expect(follower.lastVersion).toBe(-1);
    for (let i = 0; i < 7; i++) {
      follower.wake();
      await follower.idle();
    }
    expect(emitted).toEqual([3, 5, 6]);
    expect(follower.lastVersion).toBe(6);
  });

  it('emits version 0 (a fresh database) on the first read', async () => {
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion: async () => 0, onVersion: (v) => void emitted.push(v) });
    follower.wake();
    await follower.idle();
    expect(emitted).toEqual([0]);
  });

  it('keeps one read in flight and coalesces wake-ups during it into exactly one more read', async () => {
    const { reads, readVersion } = manualReader();
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion, onVersion: (v) => void emitted.push(v) });

    follower.wake();
    for (let i = 0; i < 5; i++) follower.wake();
    await flush();
    expect(reads).toHaveLength(1);

    reads[0]?.resolve(1);
    await flush();
    // The five wake-ups became one follow-up read.
    expect(reads).toHaveLength(2);
    reads[1]?.resolve(4);
    await follower.idle();
    expect(reads).toHaveLength(2);
    expect(emitted).toEqual([1, 4]);
  });

  it('a wake-up during the follow-up read queues another one', async () => {
    const { reads, readVersion } = manualReader();
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion, onVersion: (v) => void emitted.push(v) });
    follower.wake();
    await flush();
    follower.wake();
    reads[0]?.resolve(1);
    await flush();
    expect(reads).toHaveLength(2);
    follower.wake();
    reads[1]?.resolve(2);
    await flush();
    expect(reads).toHaveLength(3);
    reads[2]?.resolve(3);
    await follower.idle();
    expect(emitted).toEqual([1, 2, 3]);
  });

  it('never lets an older read regress the version (newest wins)', async () => {
    const { reads, readVersion } = manualReader();
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion, onVersion: (v) => void emitted.push(v) });
    follower.wake();
    await flush();
    follower.wake();
    reads[0]?.resolve(9);
    await flush();
    // A replica lagging behind (or a read from a stale connection) reports 7.
    reads[1]?.resolve(7);
    await follower.idle();
    expect(emitted).toEqual([9]);
    expect(follower.lastVersion).toBe(9);
  });

  it('logs a failed read without throwing and retries on the next wake', async () => {
    const logger = recordingLogger();
    let fail = true;
    let calls = 0;
    const emitted: number[] = [];
    const follower = new VersionFollower({
      readVersion: async () => {
        calls++;
        if (fail) throw new Error('database down');
        return 12;
      },
      onVersion: (v) => void emitted.push(v),
      logger,
    });
    follower.wake();
    await follower.idle();
    follower.wake();
    await follower.idle();
    expect(calls).toBe(2);
    expect(emitted).toEqual([]);
    expect(follower.lastVersion).toBe(-1);
    // Loud once, then quiet while the failure lasts.
    expect(logger.records.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual(['config version read failed']);

    fail = false;
    follower.wake();
    await follower.idle();
    expect(emitted).toEqual([12]);
    expect(logger.records.some((e) => e.level === 'info' && e.msg === 'config version read recovered')).toBe(true);
  });

  it('treats a value that is not a version as a failed read', async () => {
    const logger = recordingLogger();
    const values = [Number.NaN, 1.5, -2, 8];
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion: async () => values.shift() ?? 0, onVersion: (v) => void emitted.push(v), logger });
    for (let i = 0; i < 4; i++) {
      follower.wake();
      await follower.idle();
    }
    expect(emitted).toEqual([8]);
    expect(logger.records.filter((e) => e.msg.startsWith('config version read failed'))).toHaveLength(3);
  });

  it('does not count a version whose handler failed, so the next wake retries it', async () => {
    const logger = recordingLogger();
    const attempts: number[] = [];
    let failNext = true;
    const follower = new VersionFollower({
      readVersion: async () => 5,
      onVersion: async (v) => {
        attempts.push(v);
        if (failNext) {
          failNext = false;
          throw new Error('compile failed');
        }
      },
      logger,
    });
    follower.wake();
    await follower.idle();
    expect(follower.lastVersion).toBe(-1);
    expect(logger.records.some((e) => e.level === 'error' && e.msg === 'config version handler failed')).toBe(true);
    follower.wake();
    await follower.idle();
    expect(attempts).toEqual([5, 5]);
    expect(follower.lastVersion).toBe(5);
  });

  it('waits for an async handler before the next read, so handlers never overlap', async () => {
    let active = 0;
    let maxActive = 0;
    let version = 0;
    let reads = 0;
    let releaseHandler: (() => void) | undefined;
    const follower = new VersionFollower({
      readVersion: async () => {
        reads++;
        return ++version;
      },
      onVersion: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((r) => {
          releaseHandler = r;
        });
        active--;
      },
    });
    follower.wake();
    await flush();
    follower.wake();
    follower.wake();
    await flush();
    expect(reads).toBe(1);
    releaseHandler?.();
    await flush();
    expect(reads).toBe(2);
    releaseHandler?.();
    await follower.idle();
    expect(maxActive).toBe(1);
    expect(follower.lastVersion).toBe(2);
  });

  it('stop() waits for the read in flight, drops its result and ignores later wake-ups', async () => {
    const { reads, readVersion } = manualReader();
    const emitted: number[] = [];
    const follower = new VersionFollower({ readVersion, onVersion: (v) => void emitted.push(v) });
    follower.wake();
    await flush();
    let stopped = false;
    const stopping = follower.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    reads[0]?.resolve(3);
    await stopping;
    follower.wake();
    await follower.idle();
    expect(reads).toHaveLength(1);
    expect(emitted).toEqual([]);
  });
});
