/**
 * The report files of verify (--junit-report, --report-md): checked before any test runs, so that
 * a typo in a path is not found out after ten minutes of tests, and written whole (a temporary
 * file renamed into place), so that CI never reads half a report.
 */
import {randomBytes} from 'node:crypto'
import {rename, rm, stat, writeFile} from 'node:fs/promises'
import {dirname, resolve} from 'node:path'

import {usageError} from '../lib/errors.js'

export async function checkReportPath(path: string, flag: string): Promise<void> {
  const directory = dirname(resolve(path))
  const parent = await stat(directory).catch(() => undefined)
  if (!parent?.isDirectory()) throw usageError('REPORT_PATH_INVALID', `${flag} ${path}: the directory ${directory} does not exist`, 'Create it first, or give a path in an existing directory')
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory()) throw usageError('REPORT_PATH_INVALID', `${flag} ${path} is a directory`, 'Give the path of a file, e.g. junit.xml')
}

export async function writeReportFile(path: string, content: string): Promise<void> {
  const temporary = `${resolve(path)}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, content, {flag: 'wx'})
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, {force: true})
    throw error
  }
}
