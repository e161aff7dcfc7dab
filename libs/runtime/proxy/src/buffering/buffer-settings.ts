/** Buffering for slow clients (environment variables of the runtime; docs/slow-clients.md). */
export interface BufferSettings {
  /** `BUFFER_MEMORY_BYTES`: all buffered bodies together (requests, idempotent requests, responses). */
  readonly memoryBytes: number;
  /** `REQUEST_BUFFER_BYTES`: request bodies with a `Content-Length` up to this are read whole before a target is picked. 0 = off. */
  readonly requestBytes: number;
  /** `RESPONSE_BUFFER_BYTES`: how much of a response is kept for a client slower than its upstream before the upstream is paused. 0 = off. */
  readonly responseBytes: number;
}

export const DEFAULT_BUFFER_SETTINGS: BufferSettings = Object.freeze({
  memoryBytes: 256 * 1024 * 1024,
  requestBytes: 1024 * 1024,
  responseBytes: 1024 * 1024,
});
