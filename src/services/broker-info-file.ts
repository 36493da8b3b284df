/**
 * Reading and writing broker-info.subm on disk. The codec itself is pure (lib/broker-info); this is
 * the I/O around it: read errors that name the file, and an atomic 0600 write that first keeps the
 * previous file under a timestamped name.
 */
import {randomBytes} from 'node:crypto'
import {open, readFile, rename, rm, stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {backupFileName, decodeBrokerInfo, encodeBrokerInfo, type BrokerInfo} from '../lib/broker-info.js'
import {usageError} from '../lib/errors.js'

/** Far more than any broker-info file (a few KiB): a larger file is not one, and is not read whole. */
const MAX_BROKER_INFO_BYTES = 1024 * 1024

/** Reads and validates a broker-info file; every problem is a one-line usage error naming the file. */
export async function readBrokerInfoFile(path: string): Promise<BrokerInfo> {
  const unreadable = (why: string) =>
    usageError('BROKER_INFO_UNREADABLE', `Cannot read the broker information file "${path}": ${why}`, 'Pass the path of the broker-info.subm written by "subctl deploy-broker"')
  let content: string
  try {
    // Looked at before it is opened: a FIFO would block the read, and /dev/zero never ends it.
    const info = await stat(path)
    if (info.isDirectory()) throw unreadable('it is a directory')
    if (!info.isFile()) throw unreadable('it is not a regular file (a device, a FIFO or a socket)')
    if (info.size > MAX_BROKER_INFO_BYTES) throw unreadable(`it is ${info.size} bytes, far too large for a broker-info file`)
    content = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as {code?: string}).code === 'BROKER_INFO_UNREADABLE') throw error
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message
    throw unreadable(why)
  }

  return decodeBrokerInfo(content, path)
}

export interface WrittenBrokerInfo {
  path: string
  /** Where the previous file was moved, if there was one. */
  backup?: string
}

/**
 * Writes broker info atomically with mode 0600: the new content goes to a temporary file in the same
 * directory, an existing file is renamed to its timestamped backup, then the temporary file takes its
 * place. A failure at any point leaves the previous file where it was.
 */
export async function writeBrokerInfoFile(path: string, info: BrokerInfo, now = new Date()): Promise<WrittenBrokerInfo> {
  const content = encodeBrokerInfo(info)
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(temporary, {force: true})
    throw error
  }

  await handle.close()

  let backup: string | undefined
  try {
    if (await exists(path)) {
      backup = backupFileName(path, now)
      await rename(path, backup)
    }

    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, {force: true})
    if (backup !== undefined && !(await exists(path))) await rename(backup, path)
    throw error
  }

  return backup === undefined ? {path} : {backup, path}
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}
