import type { BufferBudget, BufferKind } from '@gw/proxy';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Counts kept elsewhere, read at scrape time: the buffer budget's (docs/slow-clients.md). */
export function registerBufferMetrics(register: Registry, budget: BufferBudget): void {
  const registers = [register];
  new Gauge({
    name: 'gateway_buffer_memory_bytes',
    help: 'Bytes reserved now for buffered bodies (requests, idempotent requests, responses to slow clients), out of BUFFER_MEMORY_BYTES',
    registers,
    collect() {
      this.set(budget.used);
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
  const seen: Record<BufferKind, number> = { request: 0, idempotency: 0, response: 0 };
  new Counter({
    name: 'gateway_buffer_refused_total',
    help: 'Buffer reservations refused because BUFFER_MEMORY_BYTES was spent, by kind: request and idempotency (answered 503), response (streamed unbuffered instead)',
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
