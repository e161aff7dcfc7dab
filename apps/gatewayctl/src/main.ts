#!/usr/bin/env node
// gatewayctl: the operator CLI (see README, "gatewayctl", and docs/operations.md).
// Exit codes: 0 done, 1 the command failed, 2 the command line is wrong.
import { certsCommand } from './certs-command.js';
import { CommandError, UsageError } from './usage-error.js';

const USAGE = `Usage: gatewayctl <command> [arguments]

Commands:
  certs    create the fleet CA and issue controller and runtime certificates (gatewayctl certs --help)

Options:
  -h, --help   this text`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command given', USAGE);
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'certs') return certsCommand(rest, (text) => process.stdout.write(text));
  throw new UsageError(`unknown command "${command}"`, USAGE);
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
      process.exitCode = 1;
    } else {
      // A bug, not a user mistake: the stack helps whoever reports it.
      process.stderr.write(`gatewayctl: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
