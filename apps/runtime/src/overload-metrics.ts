import { SHED_RESPONSE_SHARE, type BufferBudget, type BufferKind, type OverloadStats } from '@gw/proxy';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TRIM_MIN_GAP_MS, type BufferPressureHold } from './buffer-pressure.js';

/** Counts kept elsewhere, read at scrape time: the buffer budget's (docs/slow-clients.md). */
export function registerBufferMetrics(register: Registry, budget: BufferBudget, diskBudget: BufferBudget): void {
  const registers = [register];
  new Gauge({
    name: 'gateway_buffer_disk_bytes',
    help: 'Bytes reserved now in temporary files for responses to slow clients, out of BUFFER_DISK_BYTES',
    registers,
    collect() {
      this.set(diskBudget.used);
    },
  });
  new Gauge({
    name: 'gateway_buffer_disk_limit_bytes',
    help: 'BUFFER_DISK_BYTES',
    registers,
    collect() {
      this.set(diskBudget.limitBytes);
    },
  });
  totalCounter(registers, 'gateway_buffer_disk_refused_total', 'Responses to slow clients that fitted neither BUFFER_MEMORY_BYTES nor BUFFER_DISK_BYTES (streamed unbuffered instead)', () => diskBudget.refused.response);
  new Gauge({
    name: 'gateway_buffer_memory_bytes',
    help: 'Bytes reserved now for buffered bodies (requests, idempotent requests, responses to slow clients), out of BUFFER_MEMORY_BYTES',
    registers,
    collect() {
      this.set(budget.used);
    },
  });
  new Gauge({
    name: 'gateway_buffer_memory_response_bytes',
    help: 'Of gateway_buffer_memory_bytes, the response side: responses kept for slow clients, what lagging connections hold and what open connections cost; request and idempotency bodies keep the rest of BUFFER_MEMORY_BYTES past 75 % of it',
    registers,
    collect() {
      this.set(budget.responseUsed);
    },
  });
  new Gauge({
    name: 'gateway_buffer_memory_connection_bytes',
    help: 'Of gateway_buffer_memory_response_bytes, what open client connections are charged: CONNECTION_MEMORY_BYTES each, from accept to close (their sockets, parsers and request state)',
    registers,
    collect() {
      this.set(budget.connectionUsed);
    },
  });
  new Gauge({
    name: 'gateway_buffer_memory_limit_bytes',
    help: 'BUFFER_MEMORY_BYTES',
    registers,
    collect() {
      this.set(budget.limitBytes);
    },
  });
  totalCounter(
    registers,
    'gateway_buffer_memory_shed_total',
    `Responses cut because their clients lagged while the response side of BUFFER_MEMORY_BYTES was past ${SHED_RESPONSE_SHARE * 100} % of it: the responses holding the most first, until it was back`,
    () => budget.shed,
  );
  const seen: Record<BufferKind, number> = { request: 0, idempotency: 0, response: 0 };
  new Counter({
    name: 'gateway_buffer_refused_total',
    help: 'Buffer reservations refused because BUFFER_MEMORY_BYTES was spent, by kind: request (small body streamed unbuffered instead), idempotency (answered 503), response (spilled to disk or streamed unbuffered instead)',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const kind of Object.keys(seen) as BufferKind[]) {
        const now = budget.refused[kind];
        this.inc({ kind }, now - seen[kind]);
        seen[kind] = now;
      }
    },
  });
}

/** What the runtime does with its memory while BUFFER_MEMORY_BYTES is past half spent (buffer-pressure.ts). */
export function registerMemoryPressureMetrics(register: Registry, hold: BufferPressureHold): void {
  const registers = [register];
  totalCounter(
    registers,
    'gateway_memory_trims_total',
    `Times the C allocator's free memory was given back to the kernel (glibc malloc_trim) after a GC asked for while BUFFER_MEMORY_BYTES was past half spent (at most every ${TRIM_MIN_GAP_MS} ms); stays 0 without glibc`,
    () => hold.trims,
  );
  totalCounter(registers, 'gateway_memory_trimmed_bytes_total', 'What those trims took off the resident set (bytes)', () => hold.trimmedBytes);
}

/** The proxy listener's connections and overload actions (MAX_CONNECTIONS). */
export function registerConnectionMetrics(register: Registry, stats: OverloadStats): void {
  const registers = [register];
  new Gauge({
    name: 'gateway_client_connections',
    help: 'Client connections open on the proxy listener',
    registers,
    collect() {
      this.set(stats.connections);
    },
  });
  new Gauge({
    name: 'gateway_client_connections_max',
    help: 'MAX_CONNECTIONS (0: no cap)',
    registers,
    collect() {
      this.set(stats.maxConnections);
    },
  });
  totalCounter(registers, 'gateway_client_connections_refused_total', 'Client connections refused at once because MAX_CONNECTIONS were open, or their client address held MAX_CONNECTIONS_PER_ADDRESS', () => stats.refused);
  totalCounter(registers, 'gateway_client_connections_refused_per_address_total', 'Of gateway_client_connections_refused_total, those refused because their client address held MAX_CONNECTIONS_PER_ADDRESS already', () => stats.refusedPerAddress);
  new Gauge({
    name: 'gateway_client_connections_per_address_max',
    help: 'MAX_CONNECTIONS_PER_ADDRESS (0: no per-address cap)',
    registers,
    collect() {
      this.set(stats.maxPerAddress);
    },
  });
  new Gauge({
    name: 'gateway_overload_active',
    help: '1 while the runtime is under pressure (connections near MAX_CONNECTIONS or heap near its limit): keep-alive stopped, idle connections closed',
    registers,
    collect() {
      this.set(stats.underPressure ? 1 : 0);
    },
  });
}

/** A counter of a running total kept elsewhere: at each scrape it grows by what `total()` grew by since the last. */
function totalCounter(registers: Registry[], name: string, help: string, total: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = total();
      this.inc(now - seen);
      seen = now;
    },
  });
}
