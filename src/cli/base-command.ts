/**
 * The base of every subctl command: --debug, one error-to-exit-code mapping, the reporter and the
 * data output. Commands stay thin: parse flags, call their service, render what it returns.
 */
import {Command} from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import * as Flags from '@oclif/core/flags'

import type {Reporter} from '../lib/reporter.js'
import {errorDocument, formatErrorLine, reportError} from './errors.js'
import type {OutputFormat} from './flags.js'
import {serialize} from './output.js'
import {createReporter} from './reporter.js'

export abstract class SubctlCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces of errors', helpGroup: 'GLOBAL'}),
  }

  /**
   * What to say when a required argument is missing, instead of oclif's "Missing 1 required arg"
   * (join names the file deploy-broker writes, as upstream does).
   */
  static missingArgumentError?: () => Error

  /** Parse errors must reach catch() rather than oclif's own printer. */
  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    const missingArgument = (this.constructor as typeof SubctlCommand).missingArgumentError
    const report = reportError(missingArgument && /^Missing \d+ required args?/.test(error.message) ? missingArgument() : error)
    const format = this.requestedFormat()
    if (format === 'json' || format === 'yaml') {
      process.stdout.write(await serialize(format, errorDocument(report)))
    } else {
      process.stderr.write(formatErrorLine(report) + '\n')
    }

    if (this.argv.includes('--debug') && error.stack) process.stderr.write(error.stack + '\n')
    return this.exit(report.exitCode)
  }

  /** The reporter for this run: silent when the output is a JSON or YAML document. */
  protected reporter(format: OutputFormat = 'table'): Reporter {
    return createReporter({quiet: format !== 'table'})
  }

  /** Writes a result: the document under -o json|yaml, otherwise the table or text. */
  protected async output(format: OutputFormat, data: unknown, text: () => string): Promise<void> {
    process.stdout.write(format === 'table' ? text() : await serialize(format, data))
  }

  /** -o as typed, read from argv so that errors during parsing are rendered in the requested format too. */
  private requestedFormat(): OutputFormat {
    const argv = this.argv
    for (let index = 0; index < argv.length; index++) {
      const argument = argv[index] ?? ''
      const inline = /^(?:-o|--output)=?(json|yaml|table)$/.exec(argument)
      if (inline?.[1]) return inline[1] as OutputFormat
      if ((argument === '-o' || argument === '--output') && ['json', 'yaml'].includes(argv[index + 1] ?? '')) {
        return argv[index + 1] as OutputFormat
      }
    }

    return 'table'
  }
}
