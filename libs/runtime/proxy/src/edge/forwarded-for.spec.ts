import { describe, expect, it } from 'vitest';
import { forwardedFor, trustedClientAddress, unmapIpv4 } from './forwarded-for.js';

describe('forwardedFor', () => {
  it('with 0 trusted hops ignores what the client sent: the peer is the client and the whole header', () => {
    expect(forwardedFor('6.6.6.6, 7.7.7.7', '10.0.0.9', 0)).toEqual({ client: '10.0.0.9', header: '10.0.0.9', viaTrustedProxies: false });
    expect(forwardedFor(undefined, '10.0.0.9', 0)).toEqual({ client: '10.0.0.9', header: '10.0.0.9', viaTrustedProxies: false });
  });

  it('with N hops takes the Nth address from the right and keeps only the trusted part of the chain', () => {
    // client 203.0.113.7 → LB (appends it) → runtime; a spoofed entry sits in front.
    expect(forwardedFor('6.6.6.6, 203.0.113.7', '10.0.0.2', 1)).toEqual({ client: '203.0.113.7', header: '203.0.113.7, 10.0.0.2', viaTrustedProxies: true });
    // CDN → LB → runtime: two trusted hops.
    expect(forwardedFor('6.6.6.6,203.0.113.7 , 198.51.100.1', '10.0.0.2', 2)).toEqual({
      client: '203.0.113.7',
      header: '203.0.113.7, 198.51.100.1, 10.0.0.2',
      viaTrustedProxies: true,
    });
  });

  it('reads repeated headers as one list', () => {
    expect(forwardedFor(['6.6.6.6', '203.0.113.7'], '10.0.0.2', 1).client).toBe('203.0.113.7');
  });

  it('falls back to the peer when the chain is shorter than the trusted hops', () => {
    expect(forwardedFor('203.0.113.7', '10.0.0.2', 2)).toEqual({ client: '10.0.0.2', header: '10.0.0.2', viaTrustedProxies: false });
    expect(forwardedFor(' , ', '10.0.0.2', 1)).toEqual({ client: '10.0.0.2', header: '10.0.0.2', viaTrustedProxies: false });
    expect(forwardedFor(undefined, '10.0.0.2', 1)).toEqual({ client: '10.0.0.2', header: '10.0.0.2', viaTrustedProxies: false });
  });

  it('trustedClientAddress agrees with forwardedFor', () => {
    for (const [received, hops] of [['a, b, c', 0], ['a, b, c', 1], ['a, b, c', 3], ['a, b, c', 4], [undefined, 2]] as const) {
      expect(trustedClientAddress(received, 'peer', hops)).toBe(forwardedFor(received, 'peer', hops).client);
    }
  });

  it('writes IPv4-mapped IPv6 peers as plain IPv4', () => {
    expect(unmapIpv4('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(unmapIpv4('::ffff:abcd')).toBe('::ffff:abcd');
    expect(unmapIpv4('2001:db8::1')).toBe('2001:db8::1');
  });
});
