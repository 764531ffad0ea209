/** Exit codes of every `storyflow` command (DESIGN §2). */
export const EXIT = {
  ok: 0,
  /** The server answered with an error. */
  serverFailure: 1,
  usage: 2,
  /** The server could not be reached. */
  unreachable: 3,
} as const;

/** An error that ends a command with a given exit code and a message for stderr. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
