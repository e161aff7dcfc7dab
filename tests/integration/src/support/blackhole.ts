import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

/**
 * A TCP address on 127.0.0.1 where connecting hangs, as with a host that drops SYNs,
 * without sending a packet off the machine and without root (no iptables):
 * a worker thread listens with a backlog of 1 and then blocks its event loop
 * (`Atomics.wait`), so nothing ever accepts. The test fills the kernel's accept queue
 * with idle connections; from then on the kernel drops every new SYN, and a client's
 * connect neither succeeds nor fails until its own timeout.
 */
export interface Blackhole {
  port: number;
  url: string;
  close(): Promise<void>;
}

const LISTENER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const server = net.createServer(() => {});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(new Int32Array(workerData), 0, 0);
  server.close();
  parentPort.postMessage('closed');
});
`;

/** How long a connect may take before it counts as hanging: loopback connects take well under a millisecond. */
const HANG_MS = 500;

export async function startBlackhole(): Promise<Blackhole> {
  const shared = new SharedArrayBuffer(4);
  const worker = new Worker(LISTENER, { eval: true, workerData: shared });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const fillers: Socket[] = [];
  // Fill the accept queue: connect until one connection hangs (bounded: the queue holds backlog + 1).
  let hung = false;
  for (let i = 0; i < 16 && !hung; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
    hung = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), HANG_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }
  const close = async () => {
    for (const s of fillers) s.destroy();
    const view = new Int32Array(shared);
    Atomics.store(view, 0, 1);
    Atomics.notify(view, 0);
    await worker.terminate();
  };
  if (!hung) {
    await close();
    throw new Error('could not fill the accept queue of the blackhole listener');
  }
  return { port, url: `http://127.0.0.1:${port}`, close };
}
