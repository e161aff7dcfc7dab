import { connect, type Socket } from 'node:net';

export interface KeepAliveResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export interface KeepAliveSocket {
  socket: Socket;
  /** Sends one GET on this connection and reads its response (Content-Length framed). */
  get(path: string, timeoutMs?: number): Promise<KeepAliveResponse>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  readonly isClosed: boolean;
}

/**
 * One client connection kept open across requests, byte for byte, so a spec can see what
 * the server does to a keep-alive connection (`Connection: close`, closing it while idle)
 * instead of what a pooling client hides.
 */
export async function openKeepAliveSocket(port: number, host = 'gw'): Promise<KeepAliveSocket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let buffer = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  let isClosed = false;
  socket.on('data', (c: Buffer) => {
    buffer = Buffer.concat([buffer, c]);
    waiter?.();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      waiter?.();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });

  function tryParse(): KeepAliveResponse | undefined {
    const end = buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) return undefined;
    const body = buffer.subarray(end + 4, end + 4 + length).toString();
    buffer = buffer.subarray(end + 4 + length);
    return { status: Number(lines[0]!.split(' ')[1]), headers, body };
  }

  return {
    socket,
    closed,
    get isClosed() {
      return isClosed;
    },
    get(path: string, timeoutMs = 5_000): Promise<KeepAliveResponse> {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response to GET ${path} within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          const parsed = tryParse();
          if (parsed !== undefined) {
            clearTimeout(timer);
            waiter = undefined;
            resolve(parsed);
          } else if (isClosed) {
            clearTimeout(timer);
            waiter = undefined;
            reject(new Error(`connection closed before the response to GET ${path}`));
          }
        };
        waiter = check;
        check();
      });
    },
  };
}
