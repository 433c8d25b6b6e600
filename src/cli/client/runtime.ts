import { CommanderError } from 'commander';

/** Where the client reads and writes: the real process, or a test's buffers. */
export interface ClientIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal: the --wait progress indicator is drawn only then. */
  isTTY: boolean;
}

/** Exit codes scripts can rely on. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the API refused the request or the client failed (message on stderr, with the HTTP status)
  2  usage error (unknown command or option, missing or invalid argument)`;

/** A failure the user should read: printed on stderr as is, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** A bad flag combination found after parsing: exit code 2 like the parser's own errors. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/**
 * How the commands report their outcome. In a real process the exit code goes to process.exitCode;
 * inside runClient it is recorded and parsing errors are thrown back to the caller.
 */
export interface ClientRuntime {
  io: ClientIo;
  /** Record a failure's exit code (the message is already printed). */
  fail(code: number): void;
  /** Called with commander's error for usage errors and help; must not return normally in a process. */
  onParserExit(err: CommanderError): never;
}

/** Map commander's exits to ours: help and version are successes, everything else is a usage error. */
export function parserExitCode(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
  if (err.exitCode === 0) return EXIT_OK;
  return EXIT_USAGE;
}

/** The runtime of the real `tavia` process. */
export function processRuntime(): ClientRuntime {
  return {
    io: { stdout: process.stdout, stderr: process.stderr, env: process.env, isTTY: Boolean(process.stderr.isTTY) },
    fail(code) {
      process.exitCode = code;
    },
    onParserExit(err) {
      process.exit(parserExitCode(err));
    },
  };
}
