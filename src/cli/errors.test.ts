import {Errors} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import {SubctlError, usageError} from '../lib/errors.js'
import {errorDocument, formatErrorLine, reportError} from './errors.js'

describe('reportError', () => {
  const parseError = Object.assign(new Error('Nonexistent flag: --foo\nSee more help with --help'), {oclif: {exit: 2}})
  const cases: Array<[string, unknown, number, string]> = [
    ['a usage SubctlError', usageError('BAD', 'bad flag', 'use --x'), 2, 'BAD'],
    ['a failure SubctlError', new SubctlError('CLUSTER_UNREACHABLE', 'down'), 1, 'CLUSTER_UNREACHABLE'],
    ['an oclif parse error', parseError, 2, 'USAGE'],
    ['an oclif CLIError with exit 1', new Errors.CLIError('x', {exit: 1}), 1, 'EXIT'],
    ['a plain Error (a bug)', new TypeError('undefined is not a function'), 1, 'INTERNAL'],
    ['a thrown string', 'boom', 1, 'INTERNAL'],
  ]
  it.each(cases)('maps %s to exit %i', (_name, error, exitCode, code) => {
    const report = reportError(error)
    expect(report.exitCode).toBe(exitCode)
    expect(report.code).toBe(code)
  })

  it('folds an oclif parse error onto one line and replaces its advice with a hint', () => {
    const line = formatErrorLine(reportError(parseError))
    expect(line).toBe('Error: Nonexistent flag: --foo. See --help for the flags and arguments this command takes')
    expect(line).not.toContain('\n')
  })

  it('renders the message and hint on one line, and as a JSON envelope', () => {
    const report = reportError(usageError('BROKER_INFO_INVALID', 'The file is bad.', 'Recreate it'))
    expect(formatErrorLine(report)).toBe('Error: The file is bad. Recreate it')
    expect(errorDocument(report)).toEqual({apiVersion: 'subctl/v1', error: {code: 'BROKER_INFO_INVALID', hint: 'Recreate it', message: 'The file is bad.'}, kind: 'Error'})
  })
})
