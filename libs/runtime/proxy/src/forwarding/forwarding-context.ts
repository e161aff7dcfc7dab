import type { Logger } from '@gw/logging';
import type { BufferBudget } from '../buffering/buffer-budget.js';
import type { FailureLog } from './failure-log.js';
import type { UpstreamPools } from './upstream-pools.js';

/** What happened, for metrics; every hook is optional and called synchronously. */
export interface ForwardingEvents {
  /** A retry was started on API `api` after `reason` (`connect-failure`, `reset`, `timeout` or a status). */
  retry?(api: string, reason: string): void;
  /** A retry was wanted but the retry budget refused it. */
  retryBudgetExhausted?(api: string): void;
  /** The breaker refused a request: `open`, `full` (no slot and no room to wait) or `wait-expired`. */
  circuitRejected?(api: string, reason: 'open' | 'full' | 'wait-expired'): void;
  /** A response's body went silent for `streamIdleMs` after its headers: the client connection was cut. */
  streamIdle?(api: string): void;
}

/**
 * What every forwarding step of one runtime shares, made once by `createForwarder`; each
 * exchange points to it, so the steps are plain functions of the exchange.
 */
export interface ForwardingContext {
  readonly pools: UpstreamPools;
  readonly logger: Logger;
  /** Failures towards upstreams, logged aggregated (one line per API, target and reason per interval). */
  readonly failures: FailureLog;
  readonly events: ForwardingEvents;
  /** `CLIENT_SEND_TIMEOUT_MS` and `CLIENT_BODY_TIMEOUT_MS` (edge/client-timeouts.ts); 0 = off. */
  readonly clientSendTimeoutMs: number;
  readonly clientBodyTimeoutMs: number;
  /** BUFFER_MEMORY_BYTES, and what request and response buffering may take of it per request. */
  readonly budget: BufferBudget;
  readonly requestBufferBytes: number;
  readonly responseBufferBytes: number;
  /** BUFFER_DISK_BYTES, what one response may keep on disk (RESPONSE_DISK_BYTES), and BUFFER_DIR. */
  readonly diskBudget: BufferBudget;
  readonly responseDiskBytes: number;
  readonly bufferDir: string;
  /** MAX_BODY_BYTES, for bodies read whole. */
  readonly maxBodyBytes: number;
  /** The backoff's jitter source. */
  readonly random: () => number;
}
