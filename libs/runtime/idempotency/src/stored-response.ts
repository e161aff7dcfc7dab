/** A response as kept for replay. */
export interface StoredResponse {
  status: number;
  /** Name/value pairs in order (a repeated header appears once per value). */
  headers: [string, string][];
  body: Buffer;
}

// Per connection, or recomputed for the replay (length, date, request id, the marker).
const NOT_STORED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate',
  'content-length', 'date', 'x-request-id', 'idempotent-replayed',
]);

/** The headers of a response worth replaying, from Node's `getHeaders()`/`IncomingMessage.headers` shape. */
export function replayableHeaders(headers: Readonly<Record<string, string | string[] | number | undefined>>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || NOT_STORED.has(lower)) continue;
    if (Array.isArray(value)) for (const v of value) out.push([lower, v]);
    else out.push([lower, String(value)]);
  }
  return out;
}

/**
 * Collects a response body for storage while it streams to the client, up to a cap.
 * Past the cap it drops what it has and only remembers that the body was too large.
 */
export class ResponseRecorder {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private over = false;

  constructor(private readonly maxBytes: number) {}

  write(chunk: Uint8Array | string): void {
    if (this.over) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += buf.length;
    if (this.bytes > this.maxBytes) {
      this.over = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(Buffer.from(buf));
  }

  get oversize(): boolean {
    return this.over;
  }

  /** The body, or undefined when it exceeded the cap. */
  body(): Buffer | undefined {
    return this.over ? undefined : Buffer.concat(this.chunks);
  }
}
