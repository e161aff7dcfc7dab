import { opendir, readFile, stat } from 'node:fs/promises';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/**
 * prom-client's default metrics that break the exposition naming rules: gauges named like
 * counters (`promtool check metrics`: "non-counter metrics should not have _total suffix").
 */
export const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/**
 * prom-client's default metrics whose collect does work on the event loop that grows with
 * the open connections: `process._getActiveHandles()` / `process.getActiveResourcesInfo()`
 * build an array of every handle on each scrape (tens of ms at ~10,000 sockets on a loaded
 * machine, docs/benchmarks.md#metrics-scrape). `process_open_fds` counts the sockets instead.
 */
export const COSTLY_DEFAULT_METRICS = ['nodejs_active_handles', 'nodejs_active_resources'] as const;

/** Default metrics left out of `/metrics`. */
export const DROPPED_DEFAULT_METRICS = [...MISNAMED_DEFAULT_METRICS, ...COSTLY_DEFAULT_METRICS] as const;

/**
 * Default metrics whose prom-client collector reads /proc synchronously on every scrape
 * (`readdirSync('/proc/self/fd')`: one entry per open descriptor; `readFileSync('/proc/self/status')`).
 * They are replaced by collectors of the same name and meaning that read asynchronously.
 */
export const REPLACED_DEFAULT_METRICS = ['process_open_fds', 'process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes'] as const;

const FD_DIR = '/proc/self/fd';

/**
 * Open file descriptors of this process, without blocking the event loop. Linux ≥ 6.2
 * reports the count as the size of /proc/self/fd (counted in the kernel, no listing);
 * older kernels report 0 there, and the directory is listed off the loop instead.
 * undefined without /proc.
 */
export async function countOpenFds(): Promise<number | undefined> {
  try {
    const { size } = await stat(FD_DIR);
    return size > 0 ? size : await listOpenFds();
  } catch {
    return undefined;
  }
}

/**
 * The entries of /proc/self/fd, listed in the libuv thread pool in batches (opendir), so
 * the loop never waits for a listing of thousands of entries.
 */
export async function listOpenFds(): Promise<number> {
  const dir = await opendir(FD_DIR, { bufferSize: 1024 });
  let entries = 0;
  for await (const _ of dir) entries++;
  // The directory's own descriptor was open while it was listed.
  return entries - 1;
}

/** `/proc/self/status` fields in bytes (`VmRSS:  1234 kB`), read asynchronously; undefined without /proc. */
async function readProcStatus(): Promise<Record<string, number> | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/self/status', 'utf8');
  } catch {
    return undefined;
  }
  const fields: Record<string, number> = {};
  for (const m of text.matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) fields[m[1]!] = Number(m[2]) * 1024;
  return fields;
}

function replaceProcReaders(registry: Registry): void {
  if (registry.getSingleMetric('process_open_fds') !== undefined) {
    registry.removeSingleMetric('process_open_fds');
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers: [registry],
      async collect() {
        const n = await countOpenFds();
        if (n !== undefined) this.set(n);
      },
    });
  }
  if (registry.getSingleMetric('process_resident_memory_bytes') === undefined) return; // not Linux
  // The registry collects every metric at once: the three share one read per scrape.
  let reading: Promise<Record<string, number> | undefined> | undefined;
  const status = () => (reading ??= readProcStatus().finally(() => (reading = undefined)));
  const fields = {
    process_resident_memory_bytes: ['VmRSS', 'Resident memory size in bytes.'],
    process_virtual_memory_bytes: ['VmSize', 'Virtual memory size in bytes.'],
    process_heap_bytes: ['VmData', 'Process heap size in bytes.'],
  } as const;
  for (const [name, [field, help]] of Object.entries(fields)) {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = (await status())?.[field];
        if (value !== undefined) this.set(value);
      },
    });
  }
}

/**
 * Node's process metrics (CPU, memory, event loop, GC, open descriptors) in `registry`:
 * prom-client's defaults minus DROPPED_DEFAULT_METRICS, with the /proc readers replaced
 * by asynchronous ones, so a scrape does no blocking file system work at any connection count.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  replaceProcReaders(registry);
}
