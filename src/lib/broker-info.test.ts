import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  backupFileName,
  clientTokenValue,
  decodeBrokerInfo,
  encodeBrokerInfo,
  hasConnectivity,
  hasServiceDiscovery,
  pskSecret,
  pskString,
  type BrokerInfo,
} from './broker-info.js'
import {SubctlError} from './errors.js'

const b64 = (text: string) => Buffer.from(text).toString('base64')
const urlSafe = (json: unknown) =>
  Buffer.from(JSON.stringify(json)).toString('base64').replaceAll('+', '-').replaceAll('/', '_')

function sample(): BrokerInfo {
  return {
    brokerURL: 'https://10.0.0.10:6443',
    clientToken: {
      data: {'ca.crt': b64('CA PEM'), namespace: b64('submariner-k8s-broker'), token: b64('secret-token')},
      metadata: {name: 'submariner-k8s-broker-admin-token-abcde', namespace: 'submariner-k8s-broker'},
      type: 'kubernetes.io/service-account-token',
    },
    components: ['service-discovery', 'connectivity'],
    customDomains: null,
    ipsecPSK: pskSecret(Buffer.alloc(48, 7)),
    serviceDiscovery: true,
  }
}

function rejection(content: string): SubctlError {
  try {
    decodeBrokerInfo(content, 'broker-info.subm')
  } catch (error) {
    expect(error).toBeInstanceOf(SubctlError)
    return error as SubctlError
  }

  throw new Error('expected the content to be rejected')
}

describe('broker-info codec', () => {
  it('round-trips, writing upstream key names, sorted components and null custom domains', () => {
    // Given broker info, When it is encoded and decoded
    const encoded = encodeBrokerInfo(sample())
    const json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>
    const decoded = decodeBrokerInfo(encoded)

    // Then the file uses upstream's exact keys in upstream's order, with padding, no newline
    expect(Object.keys(json)).toEqual(['brokerURL', 'ClientToken', 'IPSecPSK', 'ServiceDiscovery', 'Components', 'CustomDomains'])
    expect(json.Components).toEqual(['connectivity', 'service-discovery'])
    expect(json.CustomDomains).toBeNull()
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+={0,2}$/)
    expect(encoded.length % 4).toBe(0)
    // And everything comes back
    expect(decoded.brokerURL).toBe('https://10.0.0.10:6443')
    expect(clientTokenValue(decoded, 'token')).toBe('secret-token')
    expect(clientTokenValue(decoded, 'namespace')).toBe('submariner-k8s-broker')
    expect(pskString(decoded)).toBe(Buffer.alloc(48, 7).toString('base64'))
    expect(hasConnectivity(decoded)).toBe(true)
    expect(hasServiceDiscovery(decoded)).toBe(true)
  })

  it('omits Components when there are none and writes custom domains when given', () => {
    const json = JSON.parse(
      Buffer.from(encodeBrokerInfo({...sample(), components: [], customDomains: ['example.org']}), 'base64url').toString(),
    ) as Record<string, unknown>
    expect('Components' in json).toBe(false)
    expect(json.CustomDomains).toEqual(['example.org'])
  })

  it('reads a file in upstream subctl’s exact shape: a full Secret with metadata and managedFields', () => {
    // Given a broker-info.subm as upstream deploy-broker writes it
    const content = readFileSync(join(import.meta.dirname, '../../test/fixtures/broker-info-upstream.subm'), 'utf8')

    // When it is decoded
    const info = decodeBrokerInfo(content)

    // Then every field is understood and the Secret's metadata is kept as it was
    expect(info.brokerURL).toBe('https://172.18.0.4:6443')
    expect(clientTokenValue(info, 'namespace')).toBe('submariner-k8s-broker')
    expect(clientTokenValue(info, 'token')).toMatch(/^eyJ/)
    expect(clientTokenValue(info, 'ca.crt')).toContain('BEGIN CERTIFICATE')
    expect(info.clientToken.metadata?.name).toBe('submariner-k8s-broker-admin-token-5xj2q')
    expect(info.clientToken.metadata?.managedFields).toHaveLength(2)
    expect(Buffer.from(pskString(info), 'base64')).toHaveLength(48)
    expect(info.components).toEqual(['connectivity', 'service-discovery'])
    expect(info.customDomains).toBeNull()
    // And re-encoding it gives upstream's bytes back
    expect(encodeBrokerInfo(info)).toBe(content)
  })

  it('matches keys case-insensitively and tolerates a trailing newline', () => {
    const {clientToken, ipsecPSK} = sample()
    const content = urlSafe({BrokerUrl: 'https://b:6443', clientToken, ipsecPsk: ipsecPSK, serviceDiscovery: false}) + '\n'
    const info = decodeBrokerInfo(content)
    expect(info.brokerURL).toBe('https://b:6443')
    expect(clientTokenValue(info, 'token')).toBe('secret-token')
    // An old file without Components has no connectivity
    expect(hasConnectivity(info)).toBe(false)
    expect(hasServiceDiscovery(info)).toBe(false)
  })

  const {clientToken, ipsecPSK} = sample()
  const cases: Array<[string, string, RegExp]> = [
    ['not base64', 'this is not base64!', /not URL-safe base64/],
    ['standard-alphabet base64 with + and /', '+/+/' + urlSafe({}), /not URL-safe base64/],
    ['base64 of something that is not JSON', Buffer.from('hello world').toString('base64url'), /does not decode to JSON/],
    ['a JSON array', urlSafe([1, 2, 3]), /JSON object, not an array/],
    ['an empty file', '', /the file is empty/],
    ['no brokerURL', urlSafe({ClientToken: clientToken, IPSecPSK: ipsecPSK}), /has no brokerURL/],
    ['a non-https brokerURL', urlSafe({brokerURL: 'http://10.0.0.1:6443', ClientToken: clientToken, IPSecPSK: ipsecPSK}), /must use https/],
    [
      'an empty token',
      urlSafe({brokerURL: 'https://b', ClientToken: {...clientToken, data: {...clientToken.data, token: ''}}, IPSecPSK: ipsecPSK}),
      /ClientToken has no token/,
    ],
    [
      'a blank token',
      urlSafe({brokerURL: 'https://b', ClientToken: {...clientToken, data: {...clientToken.data, token: b64('  ')}}, IPSecPSK: ipsecPSK}),
      /empty token/,
    ],
    ['no ClientToken', urlSafe({brokerURL: 'https://b', IPSecPSK: ipsecPSK}), /has no ClientToken/],
    ['a missing PSK', urlSafe({brokerURL: 'https://b', ClientToken: clientToken}), /has no IPSecPSK/],
    ['a PSK Secret without psk', urlSafe({brokerURL: 'https://b', ClientToken: clientToken, IPSecPSK: {data: {}}}), /IPSecPSK has no psk/],
  ]
  it.each(cases)('rejects %s with a message that says what is wrong', (_name, content, message) => {
    const error = rejection(content)
    expect(error.message).toMatch(message)
    expect(error.message).toContain('"broker-info.subm"')
    expect(error.kind).toBe('usage')
    expect(error.code).toBe('BROKER_INFO_INVALID')
    expect(error.hint).toMatch(/deploy-broker/)
  })
})

describe('backupFileName', () => {
  it('appends local-time RFC 3339 with colons replaced by underscores', () => {
    const name = backupFileName('broker-info.subm', new Date(2024, 9, 15, 14, 31, 39))
    expect(name).toMatch(/^broker-info\.subm\.2024-10-15T14_31_39(Z|[+-]\d\d_\d\d)$/)
    expect(name).not.toContain(':')
  })
})
