import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port that is free on 127.0.0.1 now, for a server or process the test starts later (or
 * as a port that nothing listens on).
 *
 * Ports are drawn below the kernel's ephemeral range, so an outgoing connection of any
 * process cannot take one between this check and the listen(), and a port is never handed
 * out twice by this process (the OS may otherwise return the same port for two calls in a
 * row, and two servers of one test would then race for it).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}

const handedOut = new Set<number>();

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const LOW = 10_000;
const HIGH = ephemeralStart() - 1;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
