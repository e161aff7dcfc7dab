/** What the controller knows about one runtime's stream: the basis of fleet status. */
export interface RuntimeSession {
  streamId: number;
  runtimeId: string;
  zone: string;
  buildVersion: string;
  peer: string;
  connectedAt: Date;
  /** What the runtime reports it runs (0 / '' when nothing). */
  applied: { version: number; epoch: number; hash: string };
  lastNack: { version: number; epoch: number; code: string; message: string; at: Date } | undefined;
  lastSeenAt: Date;
  /** The SPIFFE ID of the runtime's client certificate; undefined in insecure mode (the node id is then taken on trust). */
  identity?: string;
  /** When that certificate expires. */
  certificateNotAfter?: Date;
}

export type FullBecause = 'requested' | 'unknown-base' | 'epoch' | 'no-gain' | 'resync';

/** One response as sent on a stream. */
export interface SentResponse {
  version: number;
  epoch: number;
  hash: string;
  nonce: string;
  /** `full`: the whole state; `delta`: only what changed since the state the runtime holds. */
  mode?: 'full' | 'delta';
  /** Resources carried (every one for `full`, the added or changed ones for `delta`). */
  resources?: number;
  /**
   * Why a delta-mode runtime got the whole state: `requested` (it runs CONFIG_STREAM_MODE=full),
   * `unknown-base` (it holds nothing, or we cannot tell what), `epoch` (a new epoch), `no-gain`
   * (every resource changed), `resync` (it could not rebuild our last delta).
   */
  fullBecause?: FullBecause;
  /** Resource keys a delta removed. */
  removed?: number;
  /** Encoded size in bytes. */
  bytes?: number;
}

/** Hooks for metrics and status, modelled on go-control-plane's Callbacks: every one optional. */
export interface ConfigServerCallbacks {
  onStreamOpen?(session: Readonly<RuntimeSession>): void;
  onResponseSent?(session: Readonly<RuntimeSession>, sent: SentResponse): void;
  onAck?(session: Readonly<RuntimeSession>): void;
  onNack?(session: Readonly<RuntimeSession>): void;
  onStreamClosed?(session: Readonly<RuntimeSession>): void;
}

type Hook = keyof ConfigServerCallbacks;

/**
 * One set of callbacks that calls each of `list` in order (e.g. fleet status, then
 * metrics). Hooks run inside the stream's event handlers, so one that throws must not
 * break the stream or the others: its error goes to `onError` and the next hook runs.
 */
export function combineCallbacks(list: readonly ConfigServerCallbacks[], onError: (err: unknown, hook: Hook) => void = () => undefined): ConfigServerCallbacks {
  const each = <K extends Hook>(hook: K, call: (c: ConfigServerCallbacks) => void) => {
    for (const c of list) {
      if (!c[hook]) continue;
      try {
        call(c);
      } catch (err) {
        onError(err, hook);
      }
    }
  };
  return {
    onStreamOpen: (session) => each('onStreamOpen', (c) => c.onStreamOpen?.(session)),
    onResponseSent: (session, sent) => each('onResponseSent', (c) => c.onResponseSent?.(session, sent)),
    onAck: (session) => each('onAck', (c) => c.onAck?.(session)),
    onNack: (session) => each('onNack', (c) => c.onNack?.(session)),
    onStreamClosed: (session) => each('onStreamClosed', (c) => c.onStreamClosed?.(session)),
  };
}
