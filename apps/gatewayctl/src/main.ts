#!/usr/bin/env node
// gatewayctl: the operator CLI (see README, "gatewayctl", and docs/operations.md).
// Exit codes: 0 done, 1 the command failed, 2 the command line is wrong.
import { applyCommand } from './apply-command.js';
import { certsCommand } from './certs-command.js';
import { CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { deleteCommand } from './delete-command.js';
import { diffCommand } from './diff-command.js';
import { readGatewayctlEnv } from './env.js';
import { exportCommand } from './export-command.js';
import { getCommand } from './get-command.js';
import { historyCommand } from './history-command.js';
import { processOutput } from './output.js';
import { rollbackCommand } from './rollback-command.js';
import { runtimesCommand } from './runtimes-command.js';
import { statusCommand } from './status-command.js';
import { CommandError, UsageError } from './usage-error.js';

const USAGE = `Usage: gatewayctl <command> [arguments]     (gatewayctl <command> --help for its options)

Deploy API commands:
  apply -f FILE|DIR [--prune] [--dry-run] [--wait] [--timeout 60s]   make the APIs what the files say
  diff -f FILE|DIR [--prune]          what apply would change (exit 0 same, 1 differs, 2 error)
  get apis [NAME] [-o table|json|yaml]   the stored APIs
  delete api NAME                     delete an API
  history NAME                        an API's revisions
  rollback NAME --to REVISION         write an earlier revision again
  status [--wait-for VERSION]         the fleet: config version, runtimes per zone, NACKs
  runtimes [--zone ZONE]              every runtime and the version it runs
  export [-o FILE]                    every API as one file that apply -f reads back

Certificates:
  certs    create the fleet CA and issue controller and runtime certificates (gatewayctl certs --help)

${CONNECTION_USAGE}

Exit codes: 0 done, 1 failed (diff: differs), 2 usage mistake (diff: any error).
Options:
  -h, --help   this text`;

const COMMANDS: Record<string, (args: string[], ctx: CommandContext) => Promise<number>> = {
  apply: applyCommand,
  diff: diffCommand,
  get: getCommand,
  delete: deleteCommand,
  history: historyCommand,
  rollback: rollbackCommand,
  status: statusCommand,
  runtimes: runtimesCommand,
  export: exportCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given', USAGE);
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'certs') return certsCommand(rest, (text) => process.stdout.write(text));
  const run = COMMANDS[command];
  if (run === undefined || !Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`, USAGE);
  const env = readGatewayctlEnv(process.env);
  return run(rest, { env, out: processOutput(env) });
}

function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`gatewayctl: ${err.message}\n\n${err.usage}\n`);
      process.exitCode = 2;
    } else if (err instanceof CommandError || isSystemError(err)) {
      // A system error (EACCES, ENOSPC, …) names the path and the reason: enough to act on.
      process.stderr.write(`gatewayctl: ${err.message}\n`);
      process.exitCode = err instanceof CommandError ? err.exitCode : 1;
    } else {
      // A bug, not a user mistake: the stack helps whoever reports it.
      process.stderr.write(`gatewayctl: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
