/**
 * 2,000 mutated broker-info files, from a seeded generator (the same inputs every run): bit flips,
 * truncations, wrong types per key, huge values, CRLF, a BOM, and paths that are no file at all.
 * Each is answered by the reader and codec with a usage error of one line, or decodes to a valid
 * BrokerInfo (a mutation may leave a file valid); never another exception, never a hang.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {SubctlError} from '../lib/errors.js'
import {readBrokerInfoFile} from './broker-info-file.js'
import {brokerInfoMutations as mutations} from '../../test/helpers/broker-info-mutations.js'
import {sh} from '../../test/lab/sh.js'

const dir = mkdtempSync(join(tmpdir(), 'subctl-broker-info-fuzz-'))

afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** What reading a file comes to: a BrokerInfo, or a usage error of one line; anything else is a defect. */
async function outcome(path: string): Promise<'valid' | 'refused'> {
  try {
    const info = await readBrokerInfoFile(path)
    expect(info.brokerURL.startsWith('https://')).toBe(true)
    return 'valid'
  } catch (error) {
    expect(error).toBeInstanceOf(SubctlError)
    const {code, kind, message} = error as SubctlError
    expect(kind).toBe('usage')
    expect(code).toMatch(/^BROKER_INFO_/)
    expect(message).not.toContain('\n')
    return 'refused'
  }
}

describe('broker-info files, fuzzed', () => {
  it('answers each of 2,000 mutated files with a one-line usage error, or reads it as valid', async () => {
    const counts = {refused: 0, valid: 0}
    const started = Date.now()
    for (const [index, content] of mutations(2000).entries()) {
      const file = join(dir, `input-${index}.subm`)
      writeFileSync(file, content, 'latin1')
      counts[await outcome(file)]++
      rmSync(file)
    }

    process.stdout.write(`broker-info fuzz: 2000 inputs, ${counts.refused} refused cleanly, ${counts.valid} still valid, in ${Date.now() - started} ms\n`)
    expect(counts.refused + counts.valid).toBe(2000)
    expect(counts.refused).toBeGreaterThan(1000)
  }, 120_000)

  it('refuses what is no file at once: a directory, a FIFO, /dev/zero, a file of 2 MiB', async () => {
    const directory = join(dir, 'a-directory')
    mkdirSync(directory)
    const fifo = join(dir, 'a-fifo')
    sh(['mkfifo', fifo])
    const large = join(dir, 'large.subm')
    writeFileSync(large, 'A'.repeat(2 * 1024 * 1024))
    for (const [path, why] of [
      [directory, 'it is a directory'],
      [fifo, 'it is not a regular file'],
      ['/dev/zero', 'it is not a regular file'],
      [large, 'far too large'],
    ] as const) {
      await expect(readBrokerInfoFile(path)).rejects.toThrow(why)
      expect(await outcome(path)).toBe('refused')
    }
  })
})
