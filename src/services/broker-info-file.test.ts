import {chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {decodeBrokerInfo, pskSecret, type BrokerInfo} from '../lib/broker-info.js'
import {SubctlError} from '../lib/errors.js'
import {readBrokerInfoFile, writeBrokerInfoFile} from './broker-info-file.js'

const info: BrokerInfo = {
  brokerURL: 'https://10.0.0.10:6443',
  clientToken: {data: {namespace: Buffer.from('ns').toString('base64'), token: Buffer.from('t').toString('base64')}},
  components: ['connectivity'],
  customDomains: null,
  ipsecPSK: pskSecret(Buffer.alloc(48, 1)),
  serviceDiscovery: false,
}

const scratch = () => mkdtempSync(join(tmpdir(), 'subctl-broker-info-'))

async function readError(path: string): Promise<SubctlError> {
  try {
    await readBrokerInfoFile(path)
  } catch (error) {
    return error as SubctlError
  }

  throw new Error('expected a read error')
}

describe('writeBrokerInfoFile', () => {
  it('writes the file with mode 0600 and leaves no temporary file behind', async () => {
    const directory = scratch()
    const path = join(directory, 'broker-info.subm')
    const written = await writeBrokerInfoFile(path, info)
    expect(written).toEqual({path})
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(directory)).toEqual(['broker-info.subm'])
    expect(decodeBrokerInfo(readFileSync(path, 'utf8')).brokerURL).toBe(info.brokerURL)
  })

  it('keeps an existing file under a timestamped backup name', async () => {
    const directory = scratch()
    const path = join(directory, 'broker-info.subm')
    writeFileSync(path, 'previous content')
    const written = await writeBrokerInfoFile(path, info, new Date(2024, 9, 15, 14, 31, 39))
    expect(written.backup).toMatch(/broker-info\.subm\.2024-10-15T14_31_39/)
    expect(readFileSync(written.backup as string, 'utf8')).toBe('previous content')
    expect(decodeBrokerInfo(readFileSync(path, 'utf8')).brokerURL).toBe(info.brokerURL)
  })

  it('changes nothing when the directory cannot be written', async () => {
    const directory = scratch()
    const path = join(directory, 'broker-info.subm')
    writeFileSync(path, 'previous content')
    chmodSync(directory, 0o500)
    try {
      // root ignores directory permissions, so make the temporary name collide instead
      await expect(writeBrokerInfoFile(join(directory, 'missing-dir', 'broker-info.subm'), info)).rejects.toThrow()
      expect(readFileSync(path, 'utf8')).toBe('previous content')
    } finally {
      chmodSync(directory, 0o700)
    }
  })
})

describe('readBrokerInfoFile', () => {
  it('names the file and the problem when it is missing, a directory, empty or garbled', async () => {
    const directory = scratch()
    mkdirSync(join(directory, 'a-directory'))
    writeFileSync(join(directory, 'empty.subm'), '')
    writeFileSync(join(directory, 'garbled.subm'), '%%% not base64 %%%')

    const missing = await readError(join(directory, 'missing.subm'))
    expect(missing.message).toMatch(/missing\.subm": it does not exist/)
    expect(missing.kind).toBe('usage')
    expect((await readError(join(directory, 'a-directory'))).message).toMatch(/it is a directory/)
    expect((await readError(join(directory, 'empty.subm'))).message).toMatch(/empty\.subm" is not valid: the file is empty/)
    expect((await readError(join(directory, 'garbled.subm'))).message).toMatch(/not URL-safe base64/)
  })
})
