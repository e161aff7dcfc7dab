import { deployClient, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { describeChanges, hasChanges, postApply } from './apply-command.js';
import { toJson, toYaml } from './output.js';
import { CommandError, UsageError } from './usage-error.js';

export const DIFF_USAGE = `Usage: gatewayctl diff -f FILE|DIR [--prune] [-o table|json|yaml]
  What \`apply\` would change (a dry-run apply): per API created, updated (with its field
  changes) or deleted. Exit 0: the fleet already matches; 1: it differs; 2: an error.
  --prune       also count the APIs no file names (apply --prune would delete them)

${CONNECTION_USAGE}`;

/** `gatewayctl diff …`: exit 0 same, 1 differs, 2 error (bad files, controller refused, none reachable). */
export async function diffCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { file: { type: 'string', short: 'f' }, prune: { type: 'boolean' }, output: { type: 'string', short: 'o' } }, DIFF_USAGE);
  if (values.help) return void ctx.out.write(`${DIFF_USAGE}\n`), 0;
  expectPositionals(positionals, [], DIFF_USAGE);
  if (values.file === undefined) throw new UsageError('-f FILE|DIR is required', DIFF_USAGE);
  const format = outputFormat(values.output, DIFF_USAGE);
  const client = deployClient(values, ctx, DIFF_USAGE);
  let result;
  try {
    result = await postApply(client, values.file, { prune: values.prune ?? false, dryRun: true });
  } catch (err) {
    // 1 means "differs" here, so every failure is 2 (as diff(1) does).
    const failure = err instanceof CommandError ? err : new CommandError(err instanceof Error ? err.message : String(err));
    failure.exitCode = 2;
    throw failure;
  }
  const differs = hasChanges(result);
  if (format === 'json') ctx.out.write(toJson(result));
  else if (format === 'yaml') ctx.out.write(toYaml(result));
  else {
    ctx.out.write(describeChanges(ctx.out, result, { create: 'to create', update: 'to update', delete: 'to delete' }));
    ctx.out.write(differs ? `the fleet differs from ${values.file}\n` : `the fleet matches ${values.file}\n`);
  }
  return differs ? 1 : 0;
}
