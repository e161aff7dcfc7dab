import fs from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectProcessMetrics, countOpenFds, DROPPED_DEFAULT_METRICS, listOpenFds, REPLACED_DEFAULT_METRICS } from './process-metrics.js';

/** The soft limit on open descriptors (`ulimit -n`). */
const FD_LIMIT = Number(/^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
/** Descriptors held open by a test: 3,000 (a listing that long blocked the loop for ms), fewer under a low limit. */
const HELD_FDS = Math.min(3_000, FD_LIMIT - fs.readdirSync('/proc/self/fd').length - 256);

/** The real count, as prom-client's collector took it: a synchronous listing minus its own descriptor. */
function realOpenFds(): number {
  return fs.readdirSync('/proc/self/fd').length - 1;
}

function gaugeValue(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} missing from the scrape`);
  return Number(m[1]);
}

/**
 * Scrapes `registry` and reads process_open_fds, with the real count taken just before and
 * just after; nothing else opens descriptors in this worker meanwhile, but a stray one (the
 * test runner's own I/O) makes the two differ, and then it is taken again (bounded).
 */
async function scrapeAgainstRealCount(registry: Registry): Promise<{ metric: number; real: number; text: string }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = realOpenFds();
    const text = await registry.metrics();
    const after = realOpenFds();
    if (before === after) return { metric: gaugeValue(text, 'process_open_fds'), real: before, text };
  }
  throw new Error('the descriptor count kept changing during 10 scrapes');
}

const held: number[] = [];
afterEach(() => {
  for (const fd of held.splice(0)) fs.closeSync(fd);
  vi.restoreAllMocks();
});

function holdFds(n: number): void {
  expect(n, `ulimit -n ${FD_LIMIT} leaves too few descriptors for this test`).toBeGreaterThanOrEqual(500);
  for (let i = 0; i < n; i++) held.push(fs.openSync('/dev/null', 'r'));
}

describe('collectProcessMetrics', () => {
  it('keeps Node process metrics but no gauge named like a counter and none that walks every handle', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE nodejs_active_requests gauge');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.toMatch(new RegExp(`^${name}[ {]`, 'm'));
    // The rule promtool applies: a `_total` name is a counter.
    const misnamed = [...text.matchAll(/^# TYPE (\S+_total) (\S+)$/gm)].filter((m) => m[2] !== 'counter').map((m) => m[1]);
    expect(misnamed).toEqual([]);
  });

  it('replaced /proc readers keep their names, help and type, and report real values', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    for (const name of REPLACED_DEFAULT_METRICS) expect(text).toContain(`# TYPE ${name} gauge`);
    expect(text).toContain('# HELP process_open_fds Number of open file descriptors.');
    expect(text).toContain('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    // VmRSS and process.memoryUsage().rss come from the same kernel counters, read moments apart.
    const rss = gaugeValue(text, 'process_resident_memory_bytes');
    expect(Math.abs(rss - process.memoryUsage().rss)).toBeLessThan(64 * 1024 * 1024);
    expect(gaugeValue(text, 'process_virtual_memory_bytes')).toBeGreaterThan(rss);
    expect(gaugeValue(text, 'process_heap_bytes')).toBeGreaterThan(0);
  });

  it(`a scrape with ${HELD_FDS} more descriptors open makes no synchronous file system call, and process_open_fds is the real count`, async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    const first = await scrapeAgainstRealCount(registry);
    expect(first.metric).toBe(first.real);

    holdFds(HELD_FDS);
    // Every synchronous fs function, spied on (calling through) while the scrape runs.
    const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
    const syncNames = Object.keys(fs).filter((k) => k.endsWith('Sync') && typeof target[k] === 'function');
    expect(syncNames).toEqual(expect.arrayContaining(['readdirSync', 'readFileSync', 'statSync', 'opendirSync']));
    const spies = syncNames.map((name) => ({ name, spy: vi.spyOn(target, name) }));
    const text = await registry.metrics();
    const syncCalls = spies.filter((s) => s.spy.mock.calls.length > 0).map((s) => s.name);
    vi.restoreAllMocks();
    expect(syncCalls).toEqual([]);

    const now = await scrapeAgainstRealCount(registry);
    expect(now.metric).toBe(now.real);
    expect(now.metric - first.metric).toBe(HELD_FDS);
    expect(gaugeValue(text, 'process_open_fds')).toBe(now.metric);
  });

  it('counts the same with the kernel count and with a listing (the path for kernels before 6.2)', async () => {
    holdFds(HELD_FDS);
    for (let attempt = 0; attempt < 10; attempt++) {
      const real = realOpenFds();
      const [counted, listed] = [await countOpenFds(), await listOpenFds()];
      if (realOpenFds() !== real) continue;
      expect(counted).toBe(real);
      expect(listed).toBe(real);
      return;
    }
    throw new Error('the descriptor count kept changing');
  });
});
