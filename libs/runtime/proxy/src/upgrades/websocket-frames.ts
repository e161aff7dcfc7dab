import { randomBytes } from 'node:crypto';

/**
 * Follows one direction of a WebSocket byte stream (RFC 6455 §5.2) just far enough to
 * know whether it sits between two frames, so the gateway can add a close frame of its
 * own without cutting into a frame. Reads frame headers only; payloads are skipped.
 */
export class FrameBoundary {
  /** Header bytes seen of the frame being read (0 = at a boundary when `#payloadLeft` is 0 too). */
  #headerBytes = 0;
  #header = Buffer.alloc(14);
  #headerLength = 2;
  #payloadLeft = 0;

  get atBoundary(): boolean {
    return this.#headerBytes === 0 && this.#payloadLeft === 0;
  }

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - at);
        this.#payloadLeft -= take;
        at += take;
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[at++]!;
      if (this.#headerBytes === 2) {
        const second = this.#header[1]!;
        const length7 = second & 0x7f;
        this.#headerLength = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
      }
      if (this.#headerBytes >= 2 && this.#headerBytes === this.#headerLength) {
        this.#payloadLeft = payloadLength(this.#header);
        this.#headerBytes = 0;
        this.#headerLength = 2;
      }
    }
  }
}

function payloadLength(header: Buffer): number {
  const length7 = header[1]! & 0x7f;
  if (length7 === 126) return header.readUInt16BE(2);
  if (length7 === 127) return Number(header.readBigUInt64BE(2));
  return length7;
}

/** 1001: the endpoint is going away (RFC 6455 §7.4.1), what a draining gateway says. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * A close frame with a status code and a short reason. Frames a client sends must be
 * masked (towards the upstream, the gateway speaks as the client); a server's must not.
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason.slice(0, 120));
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const head = Buffer.from([0x88, (masked ? 0x80 : 0) | payload.length]);
  if (!masked) return Buffer.concat([head, payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, payload]);
}
