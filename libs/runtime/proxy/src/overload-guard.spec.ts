// The per-address share of MAX_CONNECTIONS over real sockets on loopback addresses
// (127.0.0.2 is another client address than 127.0.0.1 on Linux's whole 127/8 loopback).
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { silentLogger } from '@gw/logging';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { OverloadGuard, addressKey } from './overload-guard.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function open(port: number, from: string): { socket: Socket; closed: () => boolean } {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  let closed = false;
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  cleanups.push(() => void socket.destroy());
  return { socket, closed: () => closed };
}

describe('OverloadGuard: MAX_CONNECTIONS_PER_ADDRESS', () => {
  it('refuses one address beyond its share and counts it, while another address still connects', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const guard = new OverloadGuard(server, 10, silentLogger, () => 0, 4);
    const port = await listenLocal(server);
    cleanups.push(() => {
      guard.stop();
      server.closeAllConnections();
      return closeServer(server);
    });
    const flood = Array.from({ length: 7 }, () => open(port, '127.0.0.2'));
    await waitFor('3 of the flood refused', () => guard.refusedPerAddress === 3 && flood.filter((c) => c.closed()).length === 3);
    expect(guard.connections).toBe(4);
    // The reserve is left to other addresses.
    const others = Array.from({ length: 5 }, () => open(port, '127.0.0.1'));
    await waitFor('the other address connected', () => (guard.connections === 9 ? true : `${guard.connections} ${guard.refused} ${others.filter((c) => c.closed()).length}`));
    expect(others.every((c) => !c.closed())).toBe(true);
    // Counted with every refusal, and apart.
    expect(guard.refused).toBe(3);
    // A place given back by the flooding address can be taken by it again.
    flood.find((c) => !c.closed())!.socket.destroy();
    await waitFor('the place to be given back', () => (guard.connections === 8 ? true : `${guard.connections} ${guard.refused} ${guard.refusedPerAddress}`));
    const again = open(port, '127.0.0.2');
    await waitFor('it connected', () => (guard.connections === 9 ? true : `${guard.connections} ${guard.refused} ${guard.refusedPerAddress} ${again.closed()}`));
    expect(again.closed()).toBe(false);
    expect(guard.refusedPerAddress).toBe(3);
  });

  it('defaults to 90 % of MAX_CONNECTIONS; 0 turns it off', () => {
    const server = createServer();
    const byDefault = new OverloadGuard(server, 3968, silentLogger);
    const off = new OverloadGuard(server, 3968, silentLogger, undefined, 0);
    const uncapped = new OverloadGuard(server, 0, silentLogger);
    for (const g of [byDefault, off, uncapped]) g.stop();
    expect([byDefault.maxPerAddress, off.maxPerAddress, uncapped.maxPerAddress]).toEqual([3571, 0, 0]);
  });
});

describe('addressKey', () => {
  it('keys IPv4 (also mapped) by address and IPv6 by its /64', () => {
    expect(addressKey('10.0.0.7')).toBe('10.0.0.7');
    expect(addressKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(addressKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('');
  });
});
