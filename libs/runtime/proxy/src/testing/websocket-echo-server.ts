import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A WebSocket upstream for tests: echoes text and binary messages, records what it saw. */
export interface WebSocketEchoServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, the form an API definition's target takes. */
  readonly url: string;
  /** The handshake requests, as the upstream received them (path and headers). */
  readonly handshakes: { url: string; headers: IncomingHttpHeaders }[];
  /** Text messages received, in order. */
  readonly messages: string[];
  /** Status codes of the close frames received. */
  readonly closeCodes: number[];
  /** Connections open now. */
  readonly open: number;
  /** Sends a text message to every open connection (a push the client did not ask for). */
  broadcast(text: string): void;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Enough of RFC 6455 for tests (the repo has no WebSocket server library): the opening
 * handshake, unmasking, fragmentation-free text/binary echo, ping → pong, and the close
 * handshake (a close frame is answered with the same code, then the connection ends).
 */
export async function startWebSocketEchoServer(): Promise<WebSocketEchoServer> {
  const handshakes: WebSocketEchoServer['handshakes'] = [];
  const messages: string[] = [];
  const closeCodes: number[] = [];
  const sockets = new Set<Duplex>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('websocket only');
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const frame = readFrame(buffered);
        if (frame === undefined) return;
        buffered = buffered.subarray(frame.size);
        if (frame.opcode === 0x1 || frame.opcode === 0x2) {
          if (frame.opcode === 0x1) messages.push(frame.payload.toString());
          socket.write(encodeFrame(frame.opcode, frame.payload));
        } else if (frame.opcode === 0x9) {
          socket.write(encodeFrame(0xa, frame.payload));
        } else if (frame.opcode === 0x8) {
          const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
          closeCodes.push(code);
          socket.end(encodeFrame(0x8, frame.payload.subarray(0, 2)));
          return;
        }
      }
    };
    socket.on('data', onData);
    if (buffered.length > 0) onData(Buffer.alloc(0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    handshakes,
    messages,
    closeCodes,
    get open() {
      return sockets.size;
    },
    broadcast(text: string) {
      for (const socket of sockets) socket.write(encodeFrame(0x1, Buffer.from(text)));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Frame {
  opcode: number;
  payload: Buffer;
  size: number;
}

function readFrame(data: Buffer): Frame | undefined {
  if (data.length < 2) return undefined;
  const opcode = data[0]! & 0x0f;
  const masked = (data[1]! & 0x80) !== 0;
  let length = data[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    at = 10;
  }
  const mask = masked ? data.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (data.length < at + length) return undefined;
  const payload = Buffer.from(data.subarray(at, at + length));
  if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  return { opcode, payload, size: at + length };
}

/** An unmasked (server-to-client) frame. */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65_536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  return Buffer.concat([head, payload]);
}

function bigLength(length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(length));
  return b;
}
