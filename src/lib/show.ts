/**
 * What `subctl show` prints, as rows built from the objects (reference/subctl.md §5), so the
 * tables, the JSON documents and the topology all come from the same pure functions.
 */
import type {Broker, Connection, Gateway, Submariner} from '../api/submariner.js'
import {goDuration, parseGoDuration} from './duration-format.js'

export interface ConnectionRow {
  gateway: string
  cluster: string
  remoteIP: string
  nat: boolean
  cableDriver: string
  subnets: string[]
  status: string
  /** The gateway's average round-trip time to the remote one, null until it has measured one. */
  rttAverageMs: number | null
  /** Which local gateway holds the connection. */
  localGateway: string
}

export function connectionRows(gateways: Gateway[]): ConnectionRow[] {
  return gateways.flatMap((gateway) =>
    (gateway.status?.connections ?? []).map((connection: Connection) => {
      const endpoint = connection.endpoint
      const [remoteIP, nat] = connection.usingIP
        ? [connection.usingIP, connection.usingNAT ?? false]
        : endpoint.nat_enabled
          ? [endpoint.public_ip, true]
          : [endpoint.private_ip, false]
      return {
        cableDriver: endpoint.backend,
        cluster: endpoint.cluster_id,
        gateway: endpoint.hostname,
        localGateway: gateway.status?.localEndpoint.hostname ?? gateway.metadata.name ?? '',
        nat,
        remoteIP,
        rttAverageMs: millisecondsOf(connection.latencyRTT?.average),
        status: connection.status,
        subnets: endpoint.subnets,
      }
    }),
  )
}

/** A Go duration as the gateway reports it ("78.5µs"), in milliseconds; null when absent or unreadable. */
function millisecondsOf(goText: string | undefined): number | null {
  const nanoseconds = goText ? parseGoDuration(goText) : undefined
  return nanoseconds === undefined ? null : nanoseconds / 1e6
}

/** Milliseconds as upstream's table prints a Go duration ("78.5µs"); '' for none. */
export function rttText(milliseconds: number | null): string {
  return milliseconds === null ? '' : goDuration(Math.round(milliseconds * 1e6))
}

export interface EndpointRow {
  cluster: string
  endpointIP: string
  publicIP: string
  cableDriver: string
  type: 'local' | 'remote'
  hostname: string
}

export function endpointRows(gateways: Gateway[]): EndpointRow[] {
  return gateways.flatMap((gateway) => {
    const local = gateway.status?.localEndpoint
    if (!local) return []
    const row = (spec: typeof local, type: 'local' | 'remote'): EndpointRow => ({
      cableDriver: spec.backend,
      cluster: spec.cluster_id,
      endpointIP: spec.private_ip,
      hostname: spec.hostname,
      publicIP: spec.public_ip,
      type,
    })
    return [row(local, 'local'), ...(gateway.status?.connections ?? []).map((connection) => row(connection.endpoint, 'remote'))]
  })
}

export interface GatewayRow {
  node: string
  haStatus: string
  summary: string
}

export function gatewaySummary(gateway: Gateway): string {
  const status = gateway.status
  if (!status) return 'The gateway has not reported a status yet'
  if (status.statusFailure) return status.statusFailure
  const connections = status.connections ?? []
  if (connections.length === 0) return 'There are no connections'
  const established = connections.filter((connection) => connection.status === 'connected').length
  return established === connections.length ? `All connections (${connections.length}) are established` : `${established} connections out of ${connections.length} are established`
}

export function gatewayRows(gateways: Gateway[]): GatewayRow[] {
  return gateways.map((gateway) => ({
    haStatus: gateway.status?.haStatus ?? '',
    node: gateway.status?.localEndpoint.hostname ?? gateway.metadata.name ?? '',
    summary: gatewaySummary(gateway),
  }))
}

export interface NetworkDetails {
  source: 'submariner' | 'discovery'
  networkPlugin: string
  serviceCIDRs: string[]
  clusterCIDRs: string[]
  globalCIDR?: string
  clustersetIPCIDR?: string
}

export function networkFromSubmariner(submariner: Submariner): NetworkDetails {
  const split = (text: string | undefined) => (text ? text.split(',') : [])
  const status = submariner.status
  return {
    clusterCIDRs: split(status?.clusterCIDR ?? submariner.spec.clusterCIDR),
    networkPlugin: status?.networkPlugin ?? '',
    serviceCIDRs: split(status?.serviceCIDR ?? submariner.spec.serviceCIDR),
    source: 'submariner',
    ...(status?.globalCIDR || submariner.spec.globalCIDR ? {globalCIDR: status?.globalCIDR || submariner.spec.globalCIDR} : {}),
    ...(status?.clustersetIPCIDR || submariner.spec.clustersetIPCIDR ? {clustersetIPCIDR: status?.clustersetIPCIDR || submariner.spec.clustersetIPCIDR} : {}),
  }
}

/** Upstream's text block for network details. */
export function networkText(details: NetworkDetails): string {
  const lines = [
    details.source === 'submariner' ? '    Discovered network details via Submariner:' : '    Discovered network details',
    `        Network plugin:  ${details.networkPlugin}`,
    `        Service CIDRs:   [${details.serviceCIDRs.join(' ')}]`,
    `        Cluster CIDRs:   [${details.clusterCIDRs.join(' ')}]`,
  ]
  if (details.globalCIDR) lines.push(`        Global CIDR:     ${details.globalCIDR}`)
  if (details.clustersetIPCIDR) lines.push(`        ClustersetIP CIDR:     ${details.clustersetIPCIDR}`)
  return lines.join('\n') + '\n'
}

export interface BrokerRow {
  namespace: string
  name: string
  components: string[]
  globalnet: boolean
  globalnetCIDR: string
  defaultGlobalnetSize: number
  defaultDomains: string[]
}

export function brokerRows(brokers: Broker[]): BrokerRow[] {
  return brokers.map((broker) => ({
    components: broker.spec.components ?? [],
    defaultDomains: broker.spec.defaultCustomDomains ?? [],
    defaultGlobalnetSize: broker.spec.defaultGlobalnetClusterSize ?? 0,
    globalnet: broker.spec.globalnetEnabled ?? false,
    globalnetCIDR: broker.spec.globalnetCIDRRange ?? '',
    name: broker.metadata.name ?? '',
    namespace: broker.metadata.namespace ?? '',
  }))
}

export interface VersionRow {
  component: string
  repository: string
  configured: string
  running: string
  arch: string
}

/** Repository and tag of an image reference (a registry host, with "." or ":" or localhost, is part of the repository). */
export function splitImage(image: string, defaultVersion: string): {repository: string; tag: string} {
  const [withoutDigest = image] = image.split('@')
  const slash = withoutDigest.lastIndexOf('/')
  const nameAndTag = withoutDigest.slice(slash + 1)
  const colon = nameAndTag.indexOf(':')
  return {repository: slash === -1 ? '' : withoutDigest.slice(0, slash), tag: colon === -1 ? defaultVersion : nameAndTag.slice(colon + 1)}
}

/** The version an agent logged when it started ("starting" ... "version":"X"), or Unavailable. */
export function runningVersion(log: string): string {
  for (const line of log.split('\n').slice(0, 20)) {
    const match = /"version":"([^"]+)"/.exec(line) ?? /version: (\S+)/.exec(line)
    if (match?.[1]) return match[1]
  }

  return 'Unavailable'
}

export interface ClusterTopology {
  cluster: string
  clusterCIDRs: string[]
  serviceCIDRs: string[]
  globalCIDR?: string
  installed: boolean
  gateways: Array<{node: string; haStatus: string; driver: string; ip: string; failure: string}>
  connections: ConnectionRow[]
}

const GLYPH = {connected: '✓', connecting: '…', error: '✗', none: '·'}

/** The clusterset as a picture: each cluster with its gateways and tunnels, then a pairwise matrix. */
export function drawTopology(clusters: ClusterTopology[], colour: boolean): string {
  const paint = (text: string, code: number) => (colour ? `\u001B[${code}m${text}\u001B[0m` : text)
  const statusPaint = (status: string, text: string) => paint(text, status === 'connected' ? 32 : status === 'error' ? 31 : 33)
  const lines: string[] = []
  for (const cluster of clusters) {
    const cidrs = [`pods ${cluster.clusterCIDRs.join(',') || '?'}`, `services ${cluster.serviceCIDRs.join(',') || '?'}`, ...(cluster.globalCIDR ? [`global ${cluster.globalCIDR}`] : [])]
    lines.push(`${paint(cluster.cluster, 1)}  ${cidrs.join('  ')}`)
    if (!cluster.installed) {
      lines.push('  (Submariner connectivity is not installed)', '')
      continue
    }

    if (cluster.gateways.length === 0) lines.push('  (no gateways)')
    cluster.gateways.forEach((gateway, index) => {
      const last = index === cluster.gateways.length - 1
      const active = gateway.haStatus === 'active'
      lines.push(`  ${last ? '└─' : '├─'} ${active ? '●' : '○'} ${gateway.node} (${gateway.haStatus || 'unknown'}, ${gateway.driver}, ${gateway.ip})${gateway.failure ? paint(`  ! ${gateway.failure}`, 31) : ''}`)
      const connections = cluster.connections.filter((connection) => connection.localGateway === gateway.node)
      for (const connection of connections) {
        const tunnel = statusPaint(connection.status, `══ ${GLYPH[connection.status as keyof typeof GLYPH] ?? '?'} ${connection.status} ══▶`)
        lines.push(`  ${last ? '  ' : '│ '}     ${tunnel} ${connection.cluster} (${connection.gateway} ${connection.remoteIP}${connection.nat ? ', NAT' : ''})${connection.rttAverageMs === null ? '' : `  rtt ${rttText(connection.rttAverageMs)}`}`)
      }
    })
    lines.push('')
  }

  const names = clusters.map((cluster) => cluster.cluster)
  if (names.length > 1) {
    const width = Math.max(8, ...names.map((name) => name.length + 2))
    const cellWidth = 14
    lines.push('Connections (rows reach columns):')
    lines.push(' '.repeat(width) + names.map((name) => name.padEnd(cellWidth)).join(''))
    for (const cluster of clusters) {
      const cells = names.map((name) => {
        if (name === cluster.cluster) return '-'.padEnd(cellWidth)
        const connection = cluster.connections.find((candidate) => candidate.cluster === name)
        if (!connection) return '·'.padEnd(cellWidth)
        const rtt = connection.rttAverageMs
        const text = `${GLYPH[connection.status as keyof typeof GLYPH] ?? '?'} ${rtt === null ? connection.status : goDuration(Math.round(rtt * 1000) * 1000)}`
        return statusPaint(connection.status, text) + ' '.repeat(Math.max(1, cellWidth - [...text].length))
      })
      lines.push(cluster.cluster.padEnd(width) + cells.join(''))
    }
  }

  return lines.join('\n') + '\n'
}
