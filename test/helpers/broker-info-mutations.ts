/**
 * Mutated broker-info files from a seeded generator (the same inputs every run): bit flips,
 * truncations, wrong types per key, huge values, CRLF, a BOM, other JSON shapes and garbage.
 * Shared by the in-process fuzz test and the CLI's, so both try the same inputs.
 */
import {encodeBrokerInfo, pskSecret, type BrokerInfo} from '../../src/lib/broker-info.js'
import {seededRandom} from './seeded-random.js'

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

export function brokerInfoMutations(count: number): string[] {
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

