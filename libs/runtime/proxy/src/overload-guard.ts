import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '@gw/logging';

/** Connections at this share of `MAX_CONNECTIONS` count as pressure. */
export const CONNECTION_PRESSURE_RATIO = 0.9;
/** Heap in use at this share of V8's heap limit counts as pressure. */
export const HEAP_PRESSURE_RATIO = 0.9;
/** How often pressure is checked and overload events are logged (one line per interval at most). */
export const OVERLOAD_CHECK_MS = 1_000;

/** What the overload guard has seen, read by metrics at scrape time. */
export interface OverloadStats {
  /** Client connections open now. */
  readonly connections: number;
  /** `MAX_CONNECTIONS` (0: no cap). */
  readonly maxConnections: number;
  /** Connections refused at the cap since start. */
  readonly refused: number;
  /** Under pressure now: responses carry `Connection: close`. */
  readonly underPressure: boolean;
}

/**
 * The listener's overload actions (Envoy's overload manager, HAProxy's `maxconn`):
 * - beyond `maxConnections`, Node's `server.maxConnections` refuses new connections at
 *   once (closed on accept), each one counted;
 * - under pressure (connections at 90 % of the cap, or the heap at 90 % of its limit),
 *   keep-alive stops (every response says `Connection: close`) and idle keep-alive
 *   connections are closed, first when pressure starts and then on every check while it
 *   lasts;
 * - every check that saw refusals or pressure logs one line with the counts, so a storm
 *   costs one line a second, not one per connection.
 * The admin listener is another server: nothing here touches it.
 */
export class OverloadGuard implements OverloadStats {
  connections = 0;
  refused = 0;
  underPressure = false;
  private refusedLogged = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly server: Server,
    readonly maxConnections: number,
    private readonly logger: Logger,
    private readonly heapRatio: () => number = heapUsedRatio,
  ) {
    if (maxConnections > 0) server.maxConnections = maxConnections;
    // One listener for every connection's 'close' (it comes once): no closure per connection.
    const closed = (): void => void this.connections--;
    server.on('connection', (socket: Socket) => {
      this.connections++;
      socket.on('close', closed);
    });
    server.on('drop', () => this.refused++);
    this.timer = setInterval(() => this.check(), OVERLOAD_CHECK_MS);
    this.timer.unref();
  }

  /** Looks at connections and heap: starts or ends pressure, closes idle connections, logs what happened since the last check. */
  check(): void {
    const heap = this.heapRatio();
    const nearCap = this.maxConnections > 0 && this.connections >= this.maxConnections * CONNECTION_PRESSURE_RATIO;
    const pressure = nearCap || heap >= HEAP_PRESSURE_RATIO;
    const started = pressure && !this.underPressure;
    const ended = !pressure && this.underPressure;
    this.underPressure = pressure;
    if (pressure) this.server.closeIdleConnections();
    const refused = this.refused - this.refusedLogged;
    this.refusedLogged = this.refused;
    if (refused === 0 && !pressure && !ended) return;
    const fields = {
      connections: this.connections,
      maxConnections: this.maxConnections,
      refused,
      heapUsedPercent: Math.round(heap * 100),
      underPressure: pressure,
      reason: nearCap ? 'connections' : heap >= HEAP_PRESSURE_RATIO ? 'heap' : undefined,
    };
    if (started) this.logger.warn(fields, 'overload: keep-alive stopped and idle connections closed');
    else if (ended) this.logger.info(fields, 'overload over: keep-alive resumed');
    else this.logger.warn(fields, pressure ? 'overload goes on' : 'connections refused at MAX_CONNECTIONS');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function heapUsedRatio(): number {
  const h = getHeapStatistics();
  return h.used_heap_size / h.heap_size_limit;
}
