import { connect } from 'node:net';

export interface RawReply {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The status of the first response, if one came. */
  status: number | undefined;
  /** True when the server closed the connection; false when the wait timed out. */
  closedByServer: boolean;
}

/**
 * Sends bytes on a fresh TCP connection exactly as given (Node's HTTP client would refuse
 * to send most hostile requests) and collects the answer until the server closes the
 * connection, or `timeoutMs` passes (then `closedByServer` is false). `pieces` are written
 * `gapMs` apart, for slow senders.
 */
export async function rawExchange(port: number, pieces: string | Buffer | (string | Buffer)[], options: { timeoutMs?: number; gapMs?: number } = {}): Promise<RawReply> {
  const list = Array.isArray(pieces) ? pieces : [pieces];
  const timeoutMs = options.timeoutMs ?? 5_000;
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closedByServer = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  socket.on('end', () => (closedByServer = true));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (let i = 0; i < list.length && !socket.destroyed; i++) {
    if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    if (socket.writable) socket.write(list[i]!);
  }
  await closed;
  clearTimeout(timer);
  const text = Buffer.concat(chunks).toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  return { text, status: m ? Number(m[1]) : undefined, closedByServer };
}

/** The JSON body of the first response in a raw reply (the runtime's errors are small JSON documents). */
export function rawJson(reply: RawReply): any {
  const at = reply.text.indexOf('\r\n\r\n');
  const length = Number(rawHeader(reply, 'content-length') ?? reply.text.length);
  // The text is latin1: the runtime's error bodies are ASCII, so characters are bytes.
  return JSON.parse(reply.text.slice(at + 4, at + 4 + length));
}

/** A header of the first response in a raw reply (case-insensitive), or undefined. */
export function rawHeader(reply: RawReply, name: string): string | undefined {
  const head = reply.text.slice(0, reply.text.indexOf('\r\n\r\n'));
  const lower = name.toLowerCase();
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).toLowerCase() === lower) return line.slice(colon + 1).trim();
  }
  return undefined;
}
