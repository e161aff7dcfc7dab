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
}

/** Hooks for metrics and status, modelled on go-control-plane's Callbacks: every one optional. */
export interface ConfigServerCallbacks {
  onStreamOpen?(session: Readonly<RuntimeSession>): void;
  onResponseSent?(session: Readonly<RuntimeSession>, sent: { version: number; epoch: number; hash: string; nonce: string }): void;
  onAck?(session: Readonly<RuntimeSession>): void;
  onNack?(session: Readonly<RuntimeSession>): void;
  onStreamClosed?(session: Readonly<RuntimeSession>): void;
}
