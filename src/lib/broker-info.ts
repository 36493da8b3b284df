/**
 * The broker-info.subm codec (reference/subctl.md §3.6): URL-safe base64 (with `=` padding) of a compact
 * JSON document whose keys are upstream's Go field names. Readers match keys case-insensitively, as
 * Go's encoding/json does; the writer emits upstream's exact spellings and order so that upstream
 * subctl reads our files and we read theirs.
 */
import {usageError, SubctlError} from './errors.js'

/** A Secret as it travels inside broker-info: whatever metadata the API server returned, plus `data`. */
export interface SecretLike {
  metadata?: Record<string, unknown>
  type?: string
  /** Standard-base64 values, as in a core/v1 Secret. */
  data?: Record<string, string>
  [key: string]: unknown
}

export interface BrokerInfo {
  brokerURL: string
  /** The broker admin token Secret (data: token, ca.crt, namespace). */
  clientToken: SecretLike
  /** The IPsec PSK Secret (data: psk). */
  ipsecPSK: SecretLike
  /** Legacy flag: readers also treat it as "service discovery enabled". */
  serviceDiscovery: boolean
  /** Sorted component names; omitted from the file when empty. */
  components: string[]
  /** null when no custom domains were given, as upstream writes it. */
  customDomains: string[] | null
}

export const COMPONENT_CONNECTIVITY = 'connectivity'
export const COMPONENT_SERVICE_DISCOVERY = 'service-discovery'
export const BROKER_INFO_FILE = 'broker-info.subm'
export const IPSEC_PSK_SECRET = 'submariner-ipsec-psk'
export const PSK_BYTES = 48

const URL_SAFE_BASE64 = /^[A-Za-z0-9_-]*={0,2}$/
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Encodes broker info exactly as upstream's `base64.URLEncoding` of its JSON, with no trailing newline. */
export function encodeBrokerInfo(info: BrokerInfo): string {
  // Key order and spelling follow upstream's struct; Components is omitempty, CustomDomains is not.
  const document: Record<string, unknown> = {
    brokerURL: info.brokerURL,
    ClientToken: info.clientToken,
    IPSecPSK: info.ipsecPSK,
    ServiceDiscovery: info.serviceDiscovery,
  }
  if (info.components.length > 0) document.Components = [...info.components].sort()
  document.CustomDomains = info.customDomains && info.customDomains.length > 0 ? info.customDomains : null
  // Go's base64.URLEncoding keeps the '=' padding that Node's 'base64url' drops, so translate the alphabet instead.
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64').replaceAll('+', '-').replaceAll('/', '_')
}

/**
 * Decodes and validates the content of a broker-info file. `source` names the file in messages.
 * Throws a usage error that says what is wrong with the file.
 */
export function decodeBrokerInfo(content: string, source = BROKER_INFO_FILE): BrokerInfo {
  // Go's decoder skips CR and LF anywhere, so a file edited by hand with a trailing newline still reads.
  const text = content.replace(/[\r\n]/g, '').trim()
  if (text === '') throw invalid(source, 'the file is empty')
  if (!URL_SAFE_BASE64.test(text) || text.length % 4 === 1) {
    throw invalid(source, 'its content is not URL-safe base64')
  }

  let document: unknown
  try {
    document = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw invalid(source, 'its content does not decode to JSON')
  }

  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw invalid(source, 'it must hold a JSON object, not ' + describeJson(document))
  }

  return validate(caseInsensitive(document as Record<string, unknown>), source)
}

function validate(get: (key: string) => unknown, source: string): BrokerInfo {
  const brokerURL = get('brokerURL')
  if (typeof brokerURL !== 'string' || brokerURL.trim() === '') throw invalid(source, 'it has no brokerURL')
  let url: URL
  try {
    url = new URL(brokerURL)
  } catch {
    throw invalid(source, `its brokerURL "${brokerURL}" is not a URL`)
  }
  if (url.protocol !== 'https:') throw invalid(source, `its brokerURL "${brokerURL}" must use https`)

  const clientToken = secretField(get('ClientToken'), 'ClientToken', source)
  const token = decodeSecretValue(clientToken, 'token', 'ClientToken', source)
  if (token.toString('utf8').trim() === '') throw invalid(source, 'its ClientToken has an empty token')

  const ipsecPSK = secretField(get('IPSecPSK'), 'IPSecPSK', source)
  const psk = decodeSecretValue(ipsecPSK, 'psk', 'IPSecPSK', source)
  if (psk.length === 0) throw invalid(source, 'its IPSecPSK has an empty psk')

  const components = stringList(get('Components'), 'Components', source) ?? []
  const customDomains = stringList(get('CustomDomains'), 'CustomDomains', source)
  const serviceDiscovery = get('ServiceDiscovery')
  if (serviceDiscovery !== undefined && serviceDiscovery !== null && typeof serviceDiscovery !== 'boolean') {
    throw invalid(source, 'its ServiceDiscovery must be true or false')
  }

  return {
    brokerURL,
    clientToken,
    components,
    customDomains: customDomains && customDomains.length > 0 ? customDomains : null,
    ipsecPSK,
    serviceDiscovery: serviceDiscovery === true,
  }
}

function secretField(value: unknown, name: string, source: string): SecretLike {
  if (value === undefined || value === null) throw invalid(source, `it has no ${name}`)
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(source, `its ${name} must be a Secret object`)
  const secret = value as SecretLike
  const data = caseInsensitiveValue(secret, 'data')
  if (data !== undefined && (data === null || typeof data !== 'object' || Array.isArray(data))) {
    throw invalid(source, `its ${name}.data must be an object`)
  }
  return {...secret, data: (data ?? {}) as Record<string, string>}
}

function decodeSecretValue(secret: SecretLike, key: string, name: string, source: string): Buffer {
  const value = secret.data?.[key]
  if (value === undefined || value === null || value === '') throw invalid(source, `its ${name} has no ${key}`)
  if (typeof value !== 'string' || !STANDARD_BASE64.test(value)) {
    throw invalid(source, `its ${name}.data.${key} is not base64`)
  }
  return Buffer.from(value, 'base64')
}

function stringList(value: unknown, name: string, source: string): string[] | null {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw invalid(source, `its ${name} must be a list of strings`)
  }
  return value as string[]
}

function caseInsensitive(document: Record<string, unknown>): (key: string) => unknown {
  return (key) => caseInsensitiveValue(document, key)
}

function caseInsensitiveValue(document: Record<string, unknown>, key: string): unknown {
  if (key in document) return document[key]
  const wanted = key.toLowerCase()
  const match = Object.keys(document).find((candidate) => candidate.toLowerCase() === wanted)
  return match === undefined ? undefined : document[match]
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  return `a ${typeof value}`
}

function invalid(source: string, what: string): SubctlError {
  return usageError(
    'BROKER_INFO_INVALID',
    `The broker information in "${source}" is not valid: ${what}`,
    'Pass the broker-info.subm written by "subctl deploy-broker", or recreate it with "subctl recover-broker-info"',
  )
}

/** Whether the broker was deployed with the connectivity component (an old file without Components has none). */
export function hasConnectivity(info: BrokerInfo): boolean {
  return info.components.includes(COMPONENT_CONNECTIVITY)
}

/** Whether service discovery is enabled, from Components or the legacy ServiceDiscovery flag. */
export function hasServiceDiscovery(info: BrokerInfo): boolean {
  return info.components.includes(COMPONENT_SERVICE_DISCOVERY) || info.serviceDiscovery
}

/** The plain-text value of a key of the ClientToken Secret (token, ca.crt, namespace), or '' when absent. */
export function clientTokenValue(info: BrokerInfo, key: 'token' | 'ca.crt' | 'namespace'): string {
  const value = info.clientToken.data?.[key]
  return value ? Buffer.from(value, 'base64').toString('utf8') : ''
}

/** The PSK as upstream hands it to the cable drivers: the standard base64 string of its bytes. */
export function pskString(info: BrokerInfo): string {
  return info.ipsecPSK.data?.psk ?? ''
}

/** Builds the IPSecPSK Secret exactly as upstream writes it. */
export function pskSecret(psk: Buffer): SecretLike {
  return {metadata: {creationTimestamp: null, name: IPSEC_PSK_SECRET}, data: {psk: psk.toString('base64')}}
}

/**
 * The name an existing broker-info file is renamed to before it is replaced: local-time RFC 3339 with
 * every ':' replaced by '_', e.g. broker-info.subm.2024-10-15T14_31_39+02_00.
 */
export function backupFileName(file: string, now: Date): string {
  return `${file}.${localRfc3339(now).replaceAll(':', '_')}`
}

function localRfc3339(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset()
  const pad = (value: number) => String(Math.abs(value)).padStart(2, '0')
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${offsetMinutes > 0 ? '+' : '-'}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`
  )
}
