// `npm start`: the whole HA topology as local processes (see README and docs/operations.md).
import path from 'node:path';
import { banner } from './banner.js';
import { startDemo } from './demo-start.js';
import { runUntilSignal } from './signals.js';

const DEFAULTS = { runtimesPerZone: 1, portBase: 7000 };

async function main(): Promise<void> {
  const started = await startDemo('npm start --', DEFAULTS);
  if (started === undefined) return;
  const { options, topology, say } = started;
  const stateFile = path.resolve(options.stateFile ?? path.join(topology.workDir, 'state.json'));
  await runUntilSignal(topology, say, async () => {
    await topology.bringUp();
    topology.writeState(stateFile);
    process.stdout.write(banner(topology, stateFile) + '\n');
  }, { stayUp: true });
}

main().catch((err) => {
  process.stderr.write(`[demo] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
