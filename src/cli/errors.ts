/**
 * The one place where errors become exit codes and what the user reads. Documented exit codes:
 * 0 success, 1 failure while working, 2 usage error (bad flag, argument or input file).
 */
import {classify, KubeApiError} from '../k8s/errors.js'
import {SubctlError} from '../lib/errors.js'
import {OUTPUT_API_VERSION} from './output.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface ErrorReport {
  /** Stable machine-readable code, e.g. BROKER_INFO_INVALID, USAGE, INTERNAL. */
  code: string
  message: string
  hint?: string
  exitCode: number
}

interface OclifLike {
  oclif?: {exit?: number}
}

/** Maps anything thrown to what the user sees and the exit code. Pure, so it is table-tested. */
export function reportError(error: unknown): ErrorReport {
  if (error instanceof SubctlError) {
    // A flag's own parse function threw it, and oclif wrapped its message: "Parsing --x \n\t… See more help".
    const wrapped = /^Parsing --(\S+) \n\t([\s\S]*)\nSee more help with --help$/.exec(error.message)
    const message = wrapped ? `--${wrapped[1]}: ${wrapped[2]}` : error.message
    return withHint({code: error.code, exitCode: error.kind === 'usage' ? EXIT_USAGE : EXIT_FAILURE, message}, error.hint)
  }

  if (error instanceof KubeApiError) {
    const kind = classify(error)
    const hint =
      kind === 'forbidden' || kind === 'unauthorized'
        ? 'Check that the kube user has the permissions this needs (kubectl auth can-i), or use another --context'
        : 'The Kubernetes API server refused the request; see its message'
    return {code: `KUBE_${kind.toUpperCase().replace('-', '_')}`, exitCode: EXIT_FAILURE, hint, message: `The Kubernetes API server answered ${error.statusCode}: ${error.message}`}
  }

  const exit = (error as OclifLike | undefined)?.oclif?.exit
  if (typeof exit === 'number' && error instanceof Error) {
    // oclif's parse errors (unknown flag, missing argument, bad option value) carry exit 2 and end
    // with a "See more help" line, which the hint replaces; the rest is folded onto one line.
    const message = error.message
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('See more help'))
      .join(' ')
    return {
      code: exit === EXIT_USAGE ? 'USAGE' : 'EXIT',
      exitCode: exit,
      hint: exit === EXIT_USAGE ? 'See --help for the flags and arguments this command takes' : undefined,
      message,
    } as ErrorReport
  }

  const message = error instanceof Error ? error.message : String(error)
  return {
    code: 'INTERNAL',
    exitCode: EXIT_FAILURE,
    hint: 'This is a bug in subctl; run again with --debug for the stack trace and report it',
    message: `Unexpected error: ${message.split('\n')[0]}`,
  }
}

function withHint(report: ErrorReport, hint: string | undefined): ErrorReport {
  return hint === undefined ? report : {...report, hint}
}

/** One line: the message, then the hint. */
export function formatErrorLine(report: ErrorReport): string {
  const message = report.message.replace(/\s*\n\s*/g, ' ').replace(/[.\s]+$/, '')
  return report.hint ? `Error: ${message}. ${report.hint}` : `Error: ${message}`
}

/** An error as documents carry it, e.g. for one cluster of a list: {code, message, hint?}. */
export function errorBody(error: unknown): {code: string; message: string; hint?: string} {
  const {code, hint, message} = reportError(error)
  return hint ? {code, hint, message} : {code, message}
}

/** The `-o json|yaml` error envelope: a document like every other (schemas/Error.schema.json). */
export function errorDocument(report: ErrorReport): {apiVersion: string; kind: 'Error'; error: {code: string; message: string; hint?: string}} {
  return {
    apiVersion: OUTPUT_API_VERSION,
    error: report.hint ? {code: report.code, hint: report.hint, message: report.message} : {code: report.code, message: report.message},
    kind: 'Error',
  }
}
