/**
 * What one authenticated runtime may cost a controller replica. A valid certificate proves
 * who a peer is, not that it behaves: these bound a buggy or compromised runtime. The
 * defaults leave a well-behaved runtime (one request per response, one stream, a short NACK
 * reason) a wide margin. README: Security between the planes.
 */
export interface StreamLimits {
  /** A NACK's detail message is cut to this many bytes (UTF-8) before it is logged or stored. */
  maxNackMessageBytes: number;
  /** Requests per second per stream, sustained; beyond it the stream ends with RESOURCE_EXHAUSTED. */
  requestsPerSecond: number;
  /** Requests a stream may send at once above the sustained rate. */
  requestBurst: number;
  /** Open streams per runtime identity on one replica; a further one is refused with RESOURCE_EXHAUSTED. */
  maxStreamsPerIdentity: number;
}

/** A NACK's error code is cut to this many bytes (UTF-8): codes are short GW_ names. */
export const NACK_CODE_MAX_BYTES = 64;

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = Object.freeze({
  maxNackMessageBytes: 4_096,
  requestsPerSecond: 20,
  requestBurst: 50,
  // Two: a runtime that reconnects before this replica noticed its old stream die (gRPC
  // keepalive, at most ~15 s) is not locked out.
  maxStreamsPerIdentity: 2,
});

/** `text` cut to at most `maxBytes` of UTF-8, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** A token bucket: `burst` tokens, refilled at `perSecond`; `take()` is false when empty. */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#at = now();
  }

  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#at) / 1000) * this.perSecond);
    this.#at = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Open streams per identity: `acquire` is false at the limit; `release` once per successful acquire. */
export class StreamCounter {
  readonly #open = new Map<string, number>();

  constructor(private readonly max: number) {}

  acquire(identity: string): boolean {
    const n = this.#open.get(identity) ?? 0;
    if (n >= this.max) return false;
    this.#open.set(identity, n + 1);
    return true;
  }

  release(identity: string): void {
    const n = (this.#open.get(identity) ?? 0) - 1;
    if (n <= 0) this.#open.delete(identity);
    else this.#open.set(identity, n);
  }

  count(identity: string): number {
    return this.#open.get(identity) ?? 0;
  }
}
