// A response spilled to a temporary file, served over real sockets on 127.0.0.1 to a client
// that stops reading: what the client connection holds while it is stalled.
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { closeServer, listenLocal, tempDirs, waitFor } from '@gw/test-kit';
import { afterEach, expect, it } from 'vitest';
import { ResponseSpill, SPILL_READ_BYTES } from './response-spill.js';

const cleanups: (() => Promise<void> | void)[] = [];
const dirs = tempDirs('gw-response-spill-spec-');
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  dirs.removeAll();
});

it('a stalled client connection holds one file read at most (not up to its high-water mark); the client then gets the exact bytes', async () => {
  // Far more than loopback socket buffers hold, so the connection stalls while the client pauses.
  const body = randomBytes(24 * 1024 * 1024);
  const dir = dirs.make();
  let served: ServerResponse | undefined;
  // The most the connection held right after any write of the spill's.
  let mostQueued = 0;
  const server = createServer((_req, res) => {
    served = res;
    res.writeHead(200, { 'content-length': body.length });
    const write = res.write.bind(res) as (chunk: Buffer, cb: (err?: Error | null) => void) => boolean;
    res.write = ((chunk: Buffer, cb: (err?: Error | null) => void) => {
      const ok = write(chunk, cb);
      mostQueued = Math.max(mostQueued, res.writableLength);
      return ok;
    }) as typeof res.write;
    // The upstream's side: 64 KiB chunks, paused while the disk lags.
    let offset = 0;
    const feed = (): void => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (!spill.append(chunk)) return;
      }
      spill.end();
    };
    const spill = new ResponseSpill(res, dir, 10_000, { resumeUpstream: feed, openFailed: (err) => res.destroy(err as Error), writesDone: () => undefined });
    feed();
  });
  const port = await listenLocal(server);
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  const chunks: Buffer[] = [];
  const socket = connect(port, '127.0.0.1');
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    // Takes the head, then nothing.
    if (chunks.length === 1) socket.pause();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  // Stalled: a write is pending and nothing more is handed to the connection between two looks.
  let lastWritten = -1;
  await waitFor(
    'the connection to stall',
    () => {
      const written = served?.socket?.bytesWritten ?? -1;
      const still = written === lastWritten && served!.writableLength > 0;
      lastWritten = written;
      return still;
    },
    { intervalMs: 100 },
  );
  // Node's default high-water mark is 64 KiB (22+): handing reads until write() says stop held four.
  // (The first write carries the response head too.)
  const head = 1024;
  expect(served!.writableLength).toBeLessThanOrEqual(SPILL_READ_BYTES + head);
  expect(mostQueued).toBeLessThanOrEqual(SPILL_READ_BYTES + head);
  socket.resume();
  await closed;
  const raw = Buffer.concat(chunks);
  const bodyStart = raw.indexOf('\r\n\r\n') + 4;
  expect(raw.subarray(bodyStart).equals(body)).toBe(true);
});
