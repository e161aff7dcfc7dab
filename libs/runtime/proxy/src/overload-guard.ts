import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '@gw/logging';

/** Connections at this share of `MAX_CONNECTIONS` count as pressure. */
export const CONNECTION_PRESSURE_RATIO = 0.9;
/** Heap in use at this share of V8's heap limit counts as pressure. */
export const HEAP_PRESSURE_RATIO = 0.9;
/**
 * The default share of `MAX_CONNECTIONS` one client address may hold
 * (`MAX_CONNECTIONS_PER_ADDRESS`): the rest is a reserve no single address can take, so
 * one address's flood leaves room for everyone else.
 */
export const PER_ADDRESS_SHARE = 0.9;
/** How often pressure is checked and overload events are logged (one line per interval at most). */
export const OVERLOAD_CHECK_MS = 1_000;

const ADDRESS_KEY: unique symbol = Symbol('gw.addressKey');

interface KeyedSocket extends Socket {
  [ADDRESS_KEY]?: string;
}

/** What the overload guard has seen, read by metrics at scrape time. */
export interface OverloadStats {
  /** Client connections open now. */
  readonly connections: number;
  /** `MAX_CONNECTIONS` (0: no cap). */
  readonly maxConnections: number;
  /** Connections refused since start: at the cap, or at the per-address cap. */
  readonly refused: number;
  /** `MAX_CONNECTIONS_PER_ADDRESS` (0: no per-address cap). */
  readonly maxPerAddress: number;
  /** Of `refused`, those refused because their client address held `maxPerAddress` already. */
  readonly refusedPerAddress: number;
  /** Under pressure now: responses carry `Connection: close`. */
  readonly underPressure: boolean;
}

/**
 * The listener's overload actions (Envoy's overload manager, HAProxy's `maxconn`):
 * - beyond `maxConnections`, Node's `server.maxConnections` refuses new connections at
 *   once (closed on accept), each one counted;
 * - one client address (IPv4, or the /64 of an IPv6 address) may hold at most
 *   `maxPerAddress` of them (by default 90 % of `maxConnections`); its further connections
 *   are closed on accept and counted apart, so a flood from one address cannot take the
 *   reserve the other clients still connect in (HAProxy's `src_conn_cur` rule, nginx's
 *   `limit_conn` by address, here only as a share of the cap);
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
  refusedPerAddress = 0;
  underPressure = false;
  readonly maxPerAddress: number;
  private refusedLogged = 0;
  private refusedPerAddressLogged = 0;
  /** Open connections per client address key (addressKey): only addresses with one open. */
  private readonly perAddress = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly server: Server,
    readonly maxConnections: number,
    private readonly logger: Logger,
    private readonly heapRatio: () => number = heapUsedRatio,
    /** `MAX_CONNECTIONS_PER_ADDRESS`; by default `PER_ADDRESS_SHARE` of `maxConnections` (0: none). */
    maxPerAddress?: number,
  ) {
    if (maxConnections > 0) server.maxConnections = maxConnections;
    this.maxPerAddress = maxPerAddress ?? Math.floor(maxConnections * PER_ADDRESS_SHARE);
    // One listener for every connection's 'close' (it comes once): no closure per connection.
    const closed = (): void => void this.connections--;
    const perAddress = this.perAddress;
    const closedFrom = function (this: KeyedSocket): void {
      // Kept from the accept: a closed socket no longer knows its remote address.
      const key = this[ADDRESS_KEY] ?? '';
      const n = perAddress.get(key) ?? 1;
      if (n <= 1) perAddress.delete(key);
      else perAddress.set(key, n - 1);
    };
    server.on('connection', (socket: Socket) => {
      this.connections++;
      socket.on('close', closed);
      if (this.maxPerAddress <= 0) return;
      const key = addressKey(socket.remoteAddress);
      const n = perAddress.get(key) ?? 0;
      if (n >= this.maxPerAddress) {
        // Closed on accept like a refusal at the cap: counted with them, and apart.
        this.refused++;
        this.refusedPerAddress++;
        socket.destroy();
        return;
      }
      perAddress.set(key, n + 1);
      (socket as KeyedSocket)[ADDRESS_KEY] = key;
      socket.on('close', closedFrom);
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
    const refusedPerAddress = this.refusedPerAddress - this.refusedPerAddressLogged;
    this.refusedPerAddressLogged = this.refusedPerAddress;
    if (refused === 0 && refusedPerAddress === 0 && !pressure && !ended) return;
    const fields = {
      connections: this.connections,
      maxConnections: this.maxConnections,
      refused,
      refusedPerAddress,
      maxPerAddress: this.maxPerAddress,
      heapUsedPercent: Math.round(heap * 100),
      underPressure: pressure,
      reason: nearCap ? 'connections' : heap >= HEAP_PRESSURE_RATIO ? 'heap' : undefined,
    };
    if (started) this.logger.warn(fields, 'overload: keep-alive stopped and idle connections closed');
    else if (ended) this.logger.info(fields, 'overload over: keep-alive resumed');
    else this.logger.warn(fields, pressure ? 'overload goes on' : refused > refusedPerAddress ? 'connections refused at MAX_CONNECTIONS' : 'connections refused at MAX_CONNECTIONS_PER_ADDRESS');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function heapUsedRatio(): number {
  const h = getHeapStatistics();
  return h.used_heap_size / h.heap_size_limit;
}

/**
 * What one client counts as under `MAX_CONNECTIONS_PER_ADDRESS`: an IPv4 address (also
 * IPv4-mapped IPv6), or the /64 prefix of an IPv6 address (one host usually holds a whole
 * /64, and would otherwise get a fresh budget per address).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '';
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  const double = bare.indexOf('::');
  let groups: string[];
  if (double === -1) groups = bare.split(':');
  else {
    const head = double === 0 ? [] : bare.slice(0, double).split(':');
    const tail = double + 2 === bare.length ? [] : bare.slice(double + 2).split(':');
    groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  }
  return groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':') + '::/64';
}
