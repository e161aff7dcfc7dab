// `npm start`: the whole HA topology as local processes (see README and docs/operations.md).
import path from 'node:path';
import { banner } from './banner.js';
import { parseDemoOptions, usage, UsageError } from './options.js';
import { runUntilSignal } from './signals.js';
import { Topology } from './topology.js';

const DEFAULTS = { runtimesPerZone: 1, portBase: 7000 };

async function main(): Promise<void> {
  let options;
  try {
    options = parseDemoOptions(process.argv.slice(2), process.env, DEFAULTS);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${usage('npm start --', DEFAULTS)}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage('npm start --', DEFAULTS)}\n`);
    return;
  }
  const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);
  let topology: Topology;
  try {
    topology = await Topology.create(options, say);
  } catch (err) {
    process.stderr.write(`[demo] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
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
