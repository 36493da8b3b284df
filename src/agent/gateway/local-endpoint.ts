/**
 * The local Endpoint (reference/dataplane.md §1.2, §3.3): the gateway's private IP (the source the
 * kernel picks for 8.8.8.8, no packet sent), its public IP from the resolver spec, its subnets,
 * the health-check IP (the CNI interface), and backend_config from flags and node overrides.
 */
import {request} from 'node:https'
import {lookup} from 'node:dns/promises'

import type {EndpointSpec} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import type {KubeObject, ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {cableName} from '../../lib/endpoints.js'

export const NODE_OVERRIDE_PREFIX = 'gateway.submariner.io/'
const OVERRIDABLE = ['udp-port', 'natt-discovery-port', 'public-ip', 'preferred-server']
const DEFAULT_RESOLVERS = [
  'api:ip4.seeip.org',
  'api:ipecho.net/plain',
  'api:ifconfig.me',
  'api:ipinfo.io/ip',
  'api:4.ident.me',
  'api:checkip.amazonaws.com',
  'api:4.icanhazip.com',
  'api:myexternalip.com/raw',
  'api:4.tnedi.me',
  'api:api.ipify.org',
]

export interface NodeObject extends KubeObject {
  status?: {addresses?: Array<{type: string; address: string}>}
}

/** Node labels and annotations gateway.submariner.io/<key> (the annotation wins); unknown keys are an error. */
export function nodeOverrides(node: NodeObject): Record<string, string> {
  const overrides: Record<string, string> = {}
  for (const source of [node.metadata.labels ?? {}, node.metadata.annotations ?? {}]) {
    for (const [key, value] of Object.entries(source)) {
      if (!key.startsWith(NODE_OVERRIDE_PREFIX)) continue
      const name = key.slice(NODE_OVERRIDE_PREFIX.length)
      if (name === 'node' || name === 'status') continue
      if (!OVERRIDABLE.includes(name)) throw new Error(`unknown gateway node setting ${key}: allowed are ${OVERRIDABLE.map((entry) => NODE_OVERRIDE_PREFIX + entry).join(', ')}`)
      overrides[name] = value
    }
  }

  return overrides
}

const firstIPv4 = (text: string) => /\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/.exec(text)?.[1]

function httpsGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = request(url, {timeout: timeoutMs}, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve(body))
    })
    call.on('timeout', () => call.destroy(new Error('timed out')))
    call.on('error', reject)
    call.end()
  })
}

export interface PublicIp {
  /** The address, or '' when it is unknown (the Endpoint then has only its private IP). */
  ip: string
  /** Why the address is unknown, for the Gateway status; undefined when it is known or air-gapped. */
  problem?: string
}

/**
 * Resolves the public IP from a spec of comma-separated method:value entries (ipv4:, dns:, lb:,
 * api:), first success wins. Air-gapped, only ipv4: entries count and failure means "none". A
 * gateway whose resolvers all fail keeps running without a public IP (upstream's crash-loops):
 * NAT discovery then finds which of the peers' addresses answer, and the reason is reported.
 */
export async function resolvePublicIp(spec: string | undefined, options: {airGapped: boolean; client: KubeClient; namespace: string; timeoutMs?: number}): Promise<PublicIp> {
  const entries = spec ? spec.split(',').map((entry) => entry.trim()).filter(Boolean) : [...DEFAULT_RESOLVERS].sort(() => Math.random() - 0.5)
  const methods = entries.map((entry) => {
    const separator = entry.indexOf(':')
    if (separator === -1) throw new Error(`public IP resolver "${entry}" is not method:value`)
    const method = entry.slice(0, separator)
    if (!RESOLVER_METHODS.includes(method)) throw new Error(`unknown public IP resolver method "${method}"`)
    return {entry, method, value: entry.slice(separator + 1)}
  })
  const usable = methods.filter(({method}) => !options.airGapped || method === 'ipv4')
  // One at a time, as upstream does, but within one deadline: on a network where none answers (no
  // internet, DNS that times out) the gateway learns so in seconds, not after every resolver's
  // own timeouts in turn.
  const deadline = Date.now() + (options.timeoutMs ?? RESOLVERS_TIMEOUT_MS)
  const failures: string[] = []
  for (const {entry, method, value} of usable) {
    const left = deadline - Date.now()
    if (left <= 0) {
      failures.push(`${entry}: not tried, out of time`)
      continue
    }

    try {
      const ip = await withTimeout(resolveWith(method, value, options), left)
      if (ip) return {ip}
      failures.push(`${entry}: no IPv4 address`)
    } catch (error) {
      failures.push(`${entry}: ${(error as Error).message}`)
    }
  }

  if (options.airGapped) return {ip: ''}
  const tried = failures.slice(0, 3).join('; ') + (failures.length > 3 ? `; and ${failures.length - 3} more` : '')
  return {
    ip: '',
    problem: `could not determine the public IP with any resolver (${tried}); the gateway uses its private IP. On a network without internet access, join with --air-gapped; or name the address with the gateway.submariner.io/public-ip node label`,
  }
}

const RESOLVER_METHODS = ['ipv4', 'dns', 'lb', 'api']
const RESOLVERS_TIMEOUT_MS = 15_000

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)
  })
  return Promise.race([work, expired]).finally(() => clearTimeout(timer))
}

async function resolveWith(method: string, value: string, options: {client: KubeClient; namespace: string}): Promise<string | undefined> {
  switch (method) {
    case 'ipv4':
      return firstIPv4(value)
    case 'dns':
      return (await lookup(value, {all: true, family: 4})).map((address) => address.address).sort()[0]
    case 'lb': {
      const service = await options.client.tryGet<ServiceModel>(Resources.Service, value, options.namespace)
      const ingress = service?.status?.loadBalancer?.ingress?.[0]
      if (ingress?.ip) return ingress.ip
      return ingress?.hostname ? (await lookup(ingress.hostname, {family: 4})).address : undefined
    }

    case 'api':
      return firstIPv4(await httpsGet(`https://${value}`, 30_000))
    default:
      return undefined
  }
}

export interface LocalEndpointInput {
  clusterId: string
  hostname: string
  privateIp: string
  publicIp: string
  subnets: string[]
  healthCheckIp: string | undefined
  natEnabled: boolean
  backend: string
  udpPort: number
  overrides: Record<string, string>
  driverConfig: Record<string, string>
  usingLoadBalancer: boolean
}

export function localEndpointSpec(input: LocalEndpointInput): EndpointSpec {
  const backendConfig: Record<string, string> = {
    'natt-discovery-port': input.overrides['natt-discovery-port'] ?? '4490',
    'udp-port': input.overrides['udp-port'] ?? String(input.udpPort),
    ...input.driverConfig,
    ...(input.overrides['public-ip'] ? {'public-ip': input.overrides['public-ip']} : {}),
    ...(input.overrides['preferred-server'] ? {'preferred-server': input.overrides['preferred-server']} : {}),
    ...(input.usingLoadBalancer ? {'using-loadbalancer': 'true'} : {}),
  }
  return {
    backend: input.backend.toLowerCase(),
    backend_config: backendConfig,
    cable_name: cableName(input.clusterId, input.privateIp),
    cluster_id: input.clusterId,
    ...(input.healthCheckIp ? {healthCheckIP: input.healthCheckIp} : {}),
    hostname: input.hostname,
    nat_enabled: input.natEnabled,
    private_ip: input.privateIp,
    public_ip: input.publicIp,
    subnets: input.subnets,
  }
}
