// Two kinds of failure, two exit codes (docs/design.md §7): bad input from the user (2) and a
// stage that failed while running (1). Anything else is a bug and surfaces with its stack.

/** Bad YAML, params, arguments or data: one clear message, exit code 2. */
export class InputError extends Error {
  readonly exitCode = 2;
}

/** A stage failed while running: exit code 1. */
export class StageFailedError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly stage: string,
    message: string,
  ) {
    super(`stage ${stage} failed: ${message}`);
  }
}

/** An InputError, also one from a second copy of this module (a stage's code loaded under its own loader). */
export function isInputError(err: unknown): err is InputError {
  return err instanceof InputError || (err instanceof Error && 'exitCode' in err && err.exitCode === 2);
}
