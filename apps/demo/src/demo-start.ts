import { parseDemoOptions, usage, UsageError, type DemoOptions } from './options.js';
import { type Say, Topology } from './topology.js';

/**
 * What both demo commands do first: read the options (`--help` prints the usage and ends
 * the process; a bad option exits 2 with the usage), then create the topology (exit 2 for
 * a usage problem, 1 for anything else). Returns the created topology and its options.
 */
export async function startDemo(command: string, defaults: Parameters<typeof parseDemoOptions>[2]): Promise<{ options: DemoOptions; topology: Topology; say: Say } | undefined> {
  let options: DemoOptions;
  try {
    options = parseDemoOptions(process.argv.slice(2), process.env, defaults);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${usage(command, defaults)}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${usage(command, defaults)}\n`);
    return undefined;
  }
  const say: Say = (line) => process.stdout.write(`[demo] ${line}\n`);
  try {
    return { options, topology: await Topology.create(options, say), say };
  } catch (err) {
    process.stderr.write(`[demo] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
