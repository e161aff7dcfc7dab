/** One controller gRPC endpoint as the runtime knows it. */
export interface ControllerAddress {
  /** `host:port` as given to gRPC. */
  address: string;
  /** The zone the operator tagged it with (`a=host:port`); undefined when untagged. */
  zone: string | undefined;
}

const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const ZONE_RE = /^[A-Za-z0-9._-]{1,63}$/;

/**
 * Parses a comma-separated list of `host:port` or `zone=host:port` entries (blank entries
 * are ignored). Throws a TypeError naming the first bad entry; an empty list and a
 * duplicate address are errors too, since either is always an operator's mistake.
 */
export function parseControllerAddresses(raw: string): ControllerAddress[] {
  const out: ControllerAddress[] = [];
  const seen = new Set<string>();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const zone = eq === -1 ? undefined : entry.slice(0, eq).trim();
    const address = (eq === -1 ? entry : entry.slice(eq + 1)).trim();
    if (zone !== undefined && !ZONE_RE.test(zone)) throw new TypeError(`"${entry}": the zone must be 1-63 of [A-Za-z0-9._-]`);
    const m = HOST_PORT_RE.exec(address);
    if (!m || Number(m[2]) > 65_535) throw new TypeError(`"${entry}" is not host:port or zone=host:port`);
    if (seen.has(address)) throw new TypeError(`"${address}" is listed twice`);
    seen.add(address);
    out.push({ address, zone });
  }
  if (out.length === 0) throw new TypeError('no controller address given');
  return out;
}

/**
 * The order in which a runtime tries controllers:
 * 1. those tagged with the runtime's own zone,
 * 2. untagged ones, in the order given (the operator's explicit preference; an untagged
 *    list therefore behaves exactly as a plain ordered list),
 * 3. those tagged with another zone.
 * Within tiers 1 and 3 the start point is rotated by a hash of the runtime id, so the
 * runtimes of a zone spread over their zone's controllers, and, when those are gone,
 * over the other zones' controllers instead of all landing on the same one. The order is
 * stable for a given runtime id (restarts keep their preference).
 */
export function orderControllerAddresses(addresses: readonly ControllerAddress[], zone: string, runtimeId: string): ControllerAddress[] {
  const own = addresses.filter((a) => a.zone === zone);
  const untagged = addresses.filter((a) => a.zone === undefined);
  const other = addresses.filter((a) => a.zone !== undefined && a.zone !== zone);
  const seed = fnv1a(runtimeId);
  return [...rotate(own, seed), ...untagged, ...rotate(other, seed)];
}

function rotate<T>(items: readonly T[], seed: number): T[] {
  if (items.length < 2) return [...items];
  const start = seed % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/** 32-bit FNV-1a: a cheap, stable spread of ids (not a security boundary). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
