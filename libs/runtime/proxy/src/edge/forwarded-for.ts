import type { IncomingMessage } from 'node:http';
/**
 * `X-Forwarded-For` with a number of trusted proxy hops, by Envoy's rules for
 * `xff_num_trusted_hops` with `use_remote_address: true`:
 * - 0 hops (the default): the client is the TCP peer; whatever the client sent is ignored
 *   and the upstream gets the peer's address alone;
 * - N hops: the client is the Nth address from the right of the received header (the one
 *   the outermost trusted proxy appended); with fewer than N addresses the chain did not
 *   pass every trusted proxy, so the peer is the client and the header is ignored.
 * The upstream receives the trusted part (the last N addresses) followed by the peer, so
 * its leftmost entry is always the client address the gateway decided on; addresses a
 * client prepended to spoof its origin never reach the upstream.
 */
export interface ForwardedFor {
  /** The trusted client address. */
  readonly client: string;
  /** The `X-Forwarded-For` value for the upstream. */
  readonly header: string;
  /** True when the client address came from trusted proxies (N > 0 and a long enough chain). */
  readonly viaTrustedProxies: boolean;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack listener) is written as `10.0.0.1`. */
export function unmapIpv4(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && address.includes('.', 7) ? address.slice(7) : address;
}

export function forwardedFor(received: string | string[] | undefined, peer: string, trustedHops: number): ForwardedFor {
  if (trustedHops === 0 || received === undefined) return { client: peer, header: peer, viaTrustedProxies: false };
  const entries = splitList(received);
  if (entries.length < trustedHops) return { client: peer, header: peer, viaTrustedProxies: false };
  const trusted = entries.slice(entries.length - trustedHops);
  return { client: trusted[0]!, header: `${trusted.join(', ')}, ${peer}`, viaTrustedProxies: true };
}

/**
 * The trusted client address of a request (for client-IP hashing, rate limits, logs),
 * by the same rules, without building the header.
 */
export function trustedClientAddress(received: string | string[] | undefined, peer: string, trustedHops: number): string {
  if (trustedHops === 0 || received === undefined) return peer;
  const entries = splitList(received);
  return entries.length < trustedHops ? peer : entries[entries.length - trustedHops]!;
}

/** Comma-separated list elements, trimmed, empty ones dropped (repeated headers arrive joined). */
function splitList(value: string | string[]): string[] {
  const out: string[] = [];
  for (const part of Array.isArray(value) ? value : [value]) {
    for (const raw of part.split(',')) {
      const entry = raw.trim();
      if (entry !== '') out.push(entry);
    }
  }
  return out;
}

/**
 * The client address after the edge prepared the upstream headers: the leftmost
 * `X-Forwarded-For` entry the edge wrote (the address it trusts, after its trusted proxy
 * hops), else the peer. What consistent hashing and rate limits by IP key on.
 */
export function preparedClientAddress(req: IncomingMessage): string | undefined {
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff !== '') {
    const comma = xff.indexOf(',');
    return (comma === -1 ? xff : xff.slice(0, comma)).trim();
  }
  return req.socket.remoteAddress;
}
