/** A mistake in the command line: gatewayctl prints it with the usage text and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage text to print with it (the command's own, or the top-level one). */
    readonly usage: string,
  ) {
    super(message);
  }
}

/**
 * A failure the user can act on (a file that exists, a CA that is missing, a controller
 * that refused the change): printed as one line without a stack trace, exit 1 unless the
 * command says otherwise (`diff` exits 2 on errors, as 1 means "differs").
 */
export class CommandError extends Error {
  exitCode = 1;
}
