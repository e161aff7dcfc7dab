import { onShutdownSignals } from '@gw/app-kit';
import type { Say, Topology } from './topology.js';

/**
 * Runs `body` with the topology, stopping everything cleanly on SIGINT (Ctrl-C), SIGTERM
 * or SIGHUP, or when `body` fails; a second signal kills what is left at once. With
 * `stayUp` the process keeps running after `body` until a signal; otherwise it stops
 * when `body` is done. Exits the process in every case.
 */
export async function runUntilSignal(topology: Topology, say: Say, body: () => Promise<void>, options: { stayUp: boolean }): Promise<never> {
  let exitCode = 0;
  let stopping: Promise<never> | undefined;
  const stop = (why: string): Promise<never> => {
    stopping ??= (async () => {
      say(`${why}: stopping everything (press Ctrl-C again to kill at once)`);
      await topology.stop();
      say('stopped; no process left behind');
      process.exit(exitCode);
    })();
    return stopping;
  };
  onShutdownSignals({
    signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
    onFirst: (signal) => void stop(signal),
    onRepeat: (signal) => {
      say(`${signal} again: killing everything now`);
      topology.supervisor.killAllNow();
      process.exit(130);
    },
  });
  process.on('unhandledRejection', (err) => {
    say(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    exitCode = 1;
    void stop('error');
  });

  try {
    await body();
  } catch (err) {
    if (stopping) return stopping;
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    exitCode = 1;
    return stop('failure');
  }
  if (stopping) return stopping;
  if (!options.stayUp) return stop('done');
  // Stay up until a signal, even if every child has gone.
  setInterval(() => undefined, 60_000);
  return new Promise<never>(() => undefined);
}
