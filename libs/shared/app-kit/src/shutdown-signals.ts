import type { ProcessHooks } from './process-hooks.js';

export interface ShutdownSignalOptions {
  /** The first signal: begin a graceful stop. Called once. */
  onFirst: (signal: NodeJS.Signals) => void;
  /** Every later signal, while that stop runs: an operator who insists (Ctrl-C twice). */
  onRepeat: (signal: NodeJS.Signals) => void;
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  process?: ProcessHooks;
}

/** Listens for shutdown signals: the first one stops gracefully, any further one is `onRepeat`. Returns a function that stops listening. */
export function onShutdownSignals(options: ShutdownSignalOptions): () => void {
  const proc = options.process ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let received = 0;
  const listener = (signal: NodeJS.Signals) => (++received === 1 ? options.onFirst(signal) : options.onRepeat(signal));
  for (const s of signals) proc.on(s, listener);
  return () => {
    for (const s of signals) proc.off(s, listener);
  };
}
