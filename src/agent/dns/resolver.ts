/**
 * What Lighthouse DNS answers (reference/lighthouse.md §3): an index of the imported services, built
 * from ServiceImports and Lighthouse EndpointSlices, and the query rules. Pure: the server feeds
 * it objects and asks it questions.
 *
 * Deliberate differences from upstream: the import spec is refreshed on every update (upstream
 * keeps the first), negative answers carry the zone's SOA (upstream sends none, so resolvers cannot
 * cache them), and `dns-version.<zone>` TXT answers "1.0.0" as the MCS DNS specification requires.
 */
import {
  ANNOTATION_PUBLISH_NOT_READY,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_SOURCE_CLUSTER,
  LABEL_SOURCE_NAMESPACE,
  MANAGED_BY_LIGHTHOUSE,
  type EndpointSlice,
  type ServiceImport,
  type ServicePort,
} from '../../api/mcs.js'
import type {Gateway} from '../../api/submariner.js'
import {intersectPorts, isImportedCopy} from '../../lib/lighthouse.js'

export type RecordType = 'A' | 'AAAA' | 'SRV' | 'TXT' | string

export interface Answer {
  type: 'A' | 'SRV' | 'TXT'
  name: string
  data: string | {priority: number; weight: number; port: number; target: string} | string[]
}

export interface Resolution {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED'
  answers: Answer[]
  /** The zone the name is in (for the SOA of negative answers). */
  zone?: string
  /** The answer changes from one query to the next (round robin): it must not be cached. */
  varies?: boolean
}

interface ClusterRecord {
  /** ClusterSetIP: the service (or global) IP. */
  ip?: string
  ports: ServicePort[]
  healthy: boolean
  /** Headless: every ready endpoint address, with its hostname and its pod's name. */
  endpoints: Array<{ip: string; hostname?: string; pod?: string}>
}

interface ServiceEntry {
  type: 'ClusterSetIP' | 'Headless'
  clustersetIps: string[]
  importPorts: ServicePort[]
  exported: boolean
  clusters: Map<string, ClusterRecord>
  /** Round-robin position over eligible clusters. */
  next: number
}

const DNS_VERSION = '1.0.0'

/** An address as a DNS label (KEP 1645: the SRV target of an endpoint without a hostname). */
const dashed = (ip: string) => ip.replaceAll('.', '-').replaceAll(':', '-')
/** A headless endpoint's first label in SRV targets. */
const hostLabel = (endpoint: {ip: string; hostname?: string}) => endpoint.hostname ?? dashed(endpoint.ip)

export class ServiceIndex {
  readonly #services = new Map<string, ServiceEntry>()
  /** Slices by service key, then by slice name, so a cluster's records are rebuilt from all of its slices. */
  readonly #slices = new Map<string, Map<string, EndpointSlice>>()
  readonly #connected = new Set<string>()
  #connectivityKnown = false
  #version = 0
  #changedAt = Math.floor(Date.now() / 1000)
  localCluster: string

  constructor(localCluster: string) {
    this.localCluster = localCluster
  }

  /** An imported ServiceImport (per-cluster and broker copies are not answers). */
  upsertImport(serviceImport: ServiceImport): void {
    if (!isImportedCopy(serviceImport)) return
    const key = `${serviceImport.metadata.namespace}/${serviceImport.metadata.name}`
    const existing = this.#services.get(key)
    this.#services.set(key, {
      clusters: existing?.clusters ?? new Map(),
      clustersetIps: serviceImport.spec.ips ?? [],
      exported: true,
      importPorts: serviceImport.spec.ports ?? [],
      next: existing?.next ?? 0,
      type: serviceImport.spec.type,
    })
    this.#rebuild(key)
    this.#changed()
  }

  deleteImport(serviceImport: ServiceImport): void {
    const key = `${serviceImport.metadata.namespace}/${serviceImport.metadata.name}`
    const entry = this.#services.get(key)
    if (!entry) return
    if (entry.clusters.size === 0) this.#services.delete(key)
    else entry.exported = false
    this.#changed()
  }

  upsertSlice(slice: EndpointSlice): void {
    const key = this.#sliceKey(slice)
    if (!key) return
    const slices = this.#slices.get(key) ?? new Map<string, EndpointSlice>()
    slices.set(slice.metadata.name as string, slice)
    this.#slices.set(key, slices)
    this.#rebuild(key)
    this.#changed()
  }

  deleteSlice(slice: EndpointSlice): void {
    const key = this.#sliceKey(slice)
    if (!key) return
    this.#slices.get(key)?.delete(slice.metadata.name as string)
    this.#rebuild(key)
    this.#changed()
  }

  /** Lighthouse slices in the namespace they describe; broker copies (another namespace) are ignored. */
  #sliceKey(slice: EndpointSlice): string | undefined {
    const labels = slice.metadata.labels ?? {}
    if (labels[LABEL_MANAGED_BY] !== MANAGED_BY_LIGHTHOUSE) return undefined
    if (!labels[LABEL_SERVICE_NAME] || !labels[LABEL_SOURCE_NAMESPACE] || !labels[LABEL_SOURCE_CLUSTER]) return undefined
    if (labels[LABEL_SOURCE_NAMESPACE] !== slice.metadata.namespace) return undefined
    return `${slice.metadata.namespace}/${labels[LABEL_SERVICE_NAME]}`
  }

  #rebuild(key: string): void {
    const entry = this.#services.get(key)
    if (!entry) return
    const clusters = new Map<string, ClusterRecord>()
    for (const slice of this.#slices.get(key)?.values() ?? []) {
      const cluster = slice.metadata.labels?.[LABEL_SOURCE_CLUSTER] as string
      const record = clusters.get(cluster) ?? {endpoints: [], healthy: false, ports: []}
      const ports = (slice.ports ?? []).map((port) => ({name: port.name, port: port.port ?? 0, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? {appProtocol: port.appProtocol} : {})}))
      if (entry.type === 'ClusterSetIP') {
        const first = slice.endpoints?.[0]
        record.ip = first?.addresses[0]
        record.healthy = first?.conditions?.ready !== false
        record.ports = ports
      } else {
        const publishNotReady = slice.metadata.annotations?.[ANNOTATION_PUBLISH_NOT_READY] === 'true'
        record.ports = ports
        for (const endpoint of slice.endpoints ?? []) {
          if (endpoint.conditions?.ready === false && !publishNotReady) continue
          const hostname = endpoint.hostname || undefined
          const pod = endpoint.targetRef?.kind?.toLowerCase() === 'pod' ? endpoint.targetRef.name : undefined
          for (const ip of endpoint.addresses) {
            if (!record.endpoints.some((existing) => existing.ip === ip)) record.endpoints.push({ip, ...(hostname ? {hostname} : {}), ...(pod ? {pod} : {})})
          }
        }

        record.healthy = record.endpoints.length > 0
      }

      clusters.set(cluster, record)
    }

    entry.clusters = clusters
    if (!entry.exported && clusters.size === 0) this.#services.delete(key)
  }

  /**
   * Gateways say which clusters are connected: the local one always, others while the active
   * gateway reports a connected connection. Without Submariner connectivity every cluster counts.
   */
  setGateways(gateways: Gateway[], connectivityInstalled: boolean): void {
    const before = `${this.#connectivityKnown} ${this.localCluster} ${[...this.#connected].join(',')}`
    this.#connectivityKnown = connectivityInstalled
    for (const gateway of gateways) {
      const status = gateway.status
      if (!status) continue
      if (status.localEndpoint?.cluster_id) this.localCluster = status.localEndpoint.cluster_id
      if (status.haStatus !== 'active') continue
      for (const connection of status.connections ?? []) {
        if (connection.status === 'connected') this.#connected.add(connection.endpoint.cluster_id)
        else this.#connected.delete(connection.endpoint.cluster_id)
      }
    }

    // Gateways report every few seconds; only a change of who is reachable changes answers.
    if (`${this.#connectivityKnown} ${this.localCluster} ${[...this.#connected].join(',')}` !== before) this.#changed()
  }

  #changed(): void {
    this.#version++
    this.#changedAt = Math.floor(Date.now() / 1000)
  }

  /** Grows with every change to what the index answers: answers cached at an older version are stale. */
  get version(): number {
    return this.#version
  }

  /** When the answers last changed, in seconds since the epoch: the zone's SOA serial. */
  get changedAt(): number {
    return this.#changedAt
  }

  #isConnected(cluster: string): boolean {
    return !this.#connectivityKnown || cluster === this.localCluster || this.#connected.has(cluster)
  }

  /** Answers one question. */
  resolve(name: string, type: RecordType, zones: string[]): Resolution {
    const lower = name.toLowerCase().replace(/\.$/, '')
    const zone = zones.map((candidate) => candidate.toLowerCase().replace(/\.$/, '')).find((candidate) => lower === candidate || lower.endsWith(`.${candidate}`))
    if (zone === undefined) return {answers: [], rcode: 'REFUSED'}
    const original = name.replace(/\.$/, '')
    if (lower === `dns-version.${zone}`) return type === 'TXT' ? {answers: [{data: [DNS_VERSION], name: original, type: 'TXT'}], rcode: 'NOERROR', zone} : {answers: [], rcode: 'NOERROR', zone}
    // The apex exists (its SOA is in every negative answer); everything else is <extra...>.<svc>.<ns>.svc.
    if (lower === zone) return {answers: [], rcode: 'NOERROR', zone}
    const labels = lower.slice(0, lower.length - zone.length - 1).split('.')
    if (labels.length < 3 || labels.at(-1) !== 'svc') return {answers: [], rcode: 'NXDOMAIN', zone}
    const namespace = labels.at(-2) as string
    const service = labels.at(-3) as string
    const extra = labels.slice(0, -3)
    const entry = this.#services.get(`${namespace}/${service}`)
    if (!entry || (!entry.exported && entry.clusters.size === 0)) return {answers: [], rcode: 'NXDOMAIN', zone}
    if (type === 'AAAA') return {answers: [], rcode: 'NOERROR', zone}
    if (type === 'A') return this.#resolveA(entry, extra, original, zone)
    if (type === 'SRV') return this.#resolveSrv(entry, extra, original, zone, `${service}.${namespace}.svc.${zone}`)
    return {answers: [], rcode: 'NOERROR', zone}
  }

  #resolveA(entry: ServiceEntry, extra: string[], name: string, zone: string): Resolution {
    if (extra.length > 2) return {answers: [], rcode: 'NXDOMAIN', zone}
    const a = (ips: string[]): Resolution => ({answers: ips.map((ip) => ({data: ip, name, type: 'A' as const})), rcode: 'NOERROR', zone})
    if (extra.length >= 1) {
      const cluster = extra.at(-1) as string
      const record = entry.clusters.get(cluster)
      if (!record) return {answers: [], rcode: 'NXDOMAIN', zone}
      if (entry.type === 'ClusterSetIP') return a(record.ip ? [record.ip] : [])
      if (extra.length === 2) {
        const host = extra[0] as string
        // The endpoint's hostname, its address with dashes (what SRV targets name), or its pod's name.
        const ips = record.endpoints.filter((endpoint) => [endpoint.hostname, dashed(endpoint.ip), endpoint.pod].some((name) => name?.toLowerCase() === host)).map((endpoint) => endpoint.ip)
        return ips.length > 0 ? a(ips) : {answers: [], rcode: 'NXDOMAIN', zone}
      }

      return a(record.endpoints.map((endpoint) => endpoint.ip))
    }

    if (entry.type === 'Headless') {
      return a([...entry.clusters].filter(([cluster]) => this.#isConnected(cluster)).flatMap(([, record]) => record.endpoints.map((endpoint) => endpoint.ip)))
    }

    if (entry.clustersetIps.length > 0) return a(entry.clustersetIps.slice(0, 1))
    const local = entry.clusters.get(this.localCluster)
    if (local?.healthy && local.ip) return a([local.ip])
    const eligible = [...entry.clusters]
      .filter(([cluster, record]) => record.ip && record.healthy && this.#isConnected(cluster))
      .sort(([x], [y]) => x.localeCompare(y))
    if (eligible.length === 0) return a([])
    const [, chosen] = eligible[entry.next++ % eligible.length] as [string, ClusterRecord]
    return {...a([chosen.ip as string]), ...(eligible.length > 1 ? {varies: true} : {})}
  }

  #resolveSrv(entry: ServiceEntry, extra: string[], name: string, zone: string, serviceName: string): Resolution {
    if (extra.length > 3) return {answers: [], rcode: 'NXDOMAIN', zone}
    // _port._proto[.cluster] or [cluster]
    const portQualified = extra.length >= 2
    const [portName, protocol] = portQualified ? [(extra[0] as string).replace(/^_/, ''), (extra[1] as string).replace(/^_/, '')] : [undefined, undefined]
    const cluster = extra.length === 1 ? extra[0] : extra.length === 3 ? extra[2] : undefined
    let targets: Array<{target: string; ports: ServicePort[]}>
    if (cluster !== undefined) {
      const record = entry.clusters.get(cluster)
      if (!record) return {answers: [], rcode: 'NXDOMAIN', zone}
      targets =
        entry.type === 'ClusterSetIP'
          ? [{ports: record.ports, target: `${cluster}.${serviceName}`}]
          : record.endpoints.map((endpoint) => ({ports: record.ports, target: `${hostLabel(endpoint)}.${cluster}.${serviceName}`}))
    } else if (entry.type === 'ClusterSetIP') {
      const ports = entry.clustersetIps.length > 0 ? entry.importPorts : intersectPorts([...entry.clusters.values()].map((record) => record.ports))
      targets = [{ports, target: serviceName}]
    } else {
      targets = [...entry.clusters]
        .filter(([clusterId]) => this.#isConnected(clusterId))
        .flatMap(([clusterId, record]) => record.endpoints.map((endpoint) => ({ports: record.ports, target: `${hostLabel(endpoint)}.${clusterId}.${serviceName}`})))
    }

    const answers: Answer[] = []
    for (const target of targets) {
      const ports = portQualified ? target.ports.filter((port) => (port.name ?? '').toLowerCase() === portName && (port.protocol ?? 'TCP').toLowerCase() === protocol) : target.ports
      if (ports.length === 0) return {answers: [], rcode: 'NOERROR', zone}
      // tcp/42 and udp/42 make the same record: an RRset holds no duplicates (RFC 2181 §5).
      for (const port of new Set(ports.map((entry) => entry.port))) answers.push({data: {port, priority: 0, target: target.target, weight: 50}, name, type: 'SRV'})
    }

    return {answers, rcode: 'NOERROR', zone}
  }

  get size(): number {
    return this.#services.size
  }
}
