/**
 * 2,000 mutated broker-info files, from a seeded generator (the same inputs every run): bit flips,
 * truncations, wrong types per key, huge values, CRLF, a BOM, and paths that are no file at all.
 * Each is answered by the reader and codec with a usage error of one line, or decodes to a valid
 * BrokerInfo (a mutation may leave a file valid); never another exception, never a hang.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {encodeBrokerInfo, pskSecret, type BrokerInfo} from '../lib/broker-info.js'
import {SubctlError} from '../lib/errors.js'
import {readBrokerInfoFile} from './broker-info-file.js'
import {seededRandom} from '../../test/helpers/seeded-random.js'

const VALID: BrokerInfo = {
  brokerURL: 'https://172.30.1.10:6443',
  clientToken: {data: {'ca.crt': Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'), namespace: Buffer.from('submariner-k8s-broker').toString('base64'), token: Buffer.from('eyJhbGciOi').toString('base64')}},
  components: ['service-discovery', 'connectivity'],
  customDomains: null,
  ipsecPSK: pskSecret(Buffer.alloc(48, 7)),
  serviceDiscovery: true,
}
const KEYS = ['brokerURL', 'ClientToken', 'IPSecPSK', 'ServiceDiscovery', 'Components', 'CustomDomains']
const WRONG_VALUES: unknown[] = [null, 0, -1, 1e308, true, false, '', 'x', [], [1, 'a'], {}, {data: 42}, {data: {token: 7}}, 'http://example.invalid', 'https://', 'a'.repeat(70_000)]

const encode = (document: unknown) => Buffer.from(JSON.stringify(document)).toString('base64url')

function mutations(count: number): string[] {
  const next = seededRandom(20_261_201)
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T
  const valid = encodeBrokerInfo(VALID)
  const document = JSON.parse(Buffer.from(valid, 'base64url').toString('utf8')) as Record<string, unknown>
  const inputs: string[] = []
  for (let index = 0; index < count; index++) {
    switch (index % 8) {
      case 0: {
        // a flipped bit in the file
        const bytes = Buffer.from(valid)
        const at = Math.floor(next() * bytes.length)
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(next() * 8))
        inputs.push(bytes.toString('latin1'))
        break
      }

      case 1:
        inputs.push(valid.slice(0, Math.floor(next() * valid.length)))
        break
      case 2:
        inputs.push(encode({...document, [pick(KEYS)]: pick(WRONG_VALUES)}))
        break
      case 3: {
        const {[pick(KEYS)]: _dropped, ...rest} = document
        inputs.push(encode(rest))
        break
      }

      case 4:
        inputs.push(encode({...document, [pick(KEYS)]: 'z'.repeat(200_000 + Math.floor(next() * 300_000))}))
        break
      case 5:
        inputs.push(valid.replace(/(.{60})/g, '$1\r\n') + '\r\n')
        break
      case 6:
        inputs.push(`\uFEFF${valid}`)
        break
      default:
        // a valid JSON document of another shape, or garbage that is base64
        inputs.push(pick([encode(pick(WRONG_VALUES)), encode([document]), Buffer.from(String(next())).toString('base64url'), '===', '\0\0\0']))
    }
  }

  return inputs
}

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
    execFileSync('mkfifo', [fifo])
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
