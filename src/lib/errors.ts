/**
 * The domain error model shared by the CLI and the agent bundle. It knows nothing about terminals:
 * the CLI maps these errors to exit codes and output in one place (src/cli/errors.ts), the agent
 * logs them.
 */

/** Whether the user can fix the problem by changing what they typed (exit 2) or it happened while working (exit 1). */
export type ErrorKind = 'usage' | 'failure'

export interface SubctlErrorOptions {
  /** What to do about it, one line. */
  hint?: string
  /** The lower-level error that caused this one. */
  cause?: unknown
  /** @default 'failure' */
  kind?: ErrorKind
}

/** An expected failure with a stable code, a message that says what is wrong, and a hint that says how to fix it. */
export class SubctlError extends Error {
  readonly code: string
  readonly hint: string | undefined
  readonly kind: ErrorKind

  constructor(code: string, message: string, options: SubctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'SubctlError'
    this.code = code
    this.hint = options.hint
    this.kind = options.kind ?? 'failure'
  }
}

/** A bad flag, argument or input file: the command was not run as intended. */
export function usageError(code: string, message: string, hint?: string): SubctlError {
  return new SubctlError(code, message, {hint, kind: 'usage'})
}

/** Returns the message of anything thrown, for wrapping into a friendlier error. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
