/**
 * Lighthouse's rules as pure functions (reference/lighthouse.md §1–§2): object names, import types,
 * ports and their merge, conditions (including the merged Conflict condition), and which
 * namespaces broker data may place objects in.
 */
import {LABEL_SERVICE_NAME, type ServiceImport, type ServiceObject, type ServicePort} from '../api/mcs.js'
import type {Condition} from '../api/submariner.js'

export const localImportName = (service: string, namespace: string, clusterId: string) => `${service}-${namespace}-${clusterId}`
export const aggregateName = (service: string, namespace: string) => `${service}-${namespace}`

/** An imported ServiceImport in the service's namespace: per-cluster imports and broker aggregates carry the service-name key. */
export const isImportedCopy = (serviceImport: Pick<ServiceImport, 'metadata'>): boolean =>
  !serviceImport.metadata.labels?.[LABEL_SERVICE_NAME] && !serviceImport.metadata.annotations?.[LABEL_SERVICE_NAME]

/** ClusterSetIP for ClusterIP services, Headless for clusterIP None; other types are not exported (as upstream). */
export function importType(service: ServiceObject): 'ClusterSetIP' | 'Headless' | undefined {
  const type = service.spec.type ?? 'ClusterIP'
  if (type !== 'ClusterIP') return undefined
  return service.spec.clusterIP === 'None' ? 'Headless' : 'ClusterSetIP'
}

export function servicePorts(service: ServiceObject): ServicePort[] {
  return (service.spec.ports ?? []).map((port) => ({
    ...(port.name ? {name: port.name} : {}),
    port: port.port,
    protocol: port.protocol ?? 'TCP',
    ...(port.appProtocol ? {appProtocol: port.appProtocol} : {}),
  }))
}

const portKey = (port: ServicePort) => `${port.name ?? ''}:${port.protocol ?? 'TCP'}:${port.port}:${port.appProtocol ?? ''}`

/** Union by port name, clusters in order (oldest exporter first): the first occurrence of a name wins. */
export function unionPorts(portsByCluster: ServicePort[][]): ServicePort[] {
  const byName = new Map<string, ServicePort>()
  for (const ports of portsByCluster) for (const port of ports) if (!byName.has(port.name ?? '')) byName.set(port.name ?? '', port)
  return [...byName.values()]
}

/** The ports every cluster has (what DNS answers SRV with when there is no clusterset IP). */
export function intersectPorts(portsByCluster: ServicePort[][]): ServicePort[] {
  const [first, ...rest] = portsByCluster
  if (!first) return []
  return first.filter((port) => rest.every((ports) => ports.some((other) => portKey(other) === portKey(port))))
}

export function samePorts(a: ServicePort[], b: ServicePort[]): boolean {
  const keys = (ports: ServicePort[]) => ports.map(portKey).sort().join(',')
  return keys(a) === keys(b)
}

export function describePorts(ports: ServicePort[]): string {
  return ports.map((port) => `[name: ${port.name ?? ''}, protocol: ${port.protocol ?? 'TCP'}, port: ${port.port}, appProtocol: "${port.appProtocol ?? ''}"]`).join(', ')
}

export function condition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  return {lastTransitionTime: new Date().toISOString(), message, reason, status, type}
}

/**
 * Sets a condition: an existing one of the same type is replaced only when status, reason or
 * message change (then its transition time moves). `onlyIfAbsent` never replaces one.
 */
export function withCondition(conditions: Condition[] | undefined, next: Condition, onlyIfAbsent = false): Condition[] {
  const list = (conditions ?? []).filter((entry) => entry.type !== 'Synced' || next.type !== 'Ready')
  const existing = list.find((entry) => entry.type === next.type)
  if (existing && (onlyIfAbsent || (existing.status === next.status && existing.reason === next.reason && existing.message === next.message))) return list
  return [...list.filter((entry) => entry.type !== next.type), next]
}

/**
 * The merged Conflict condition (reference/lighthouse.md §2.5): reasons comma-joined and messages
 * newline-joined, index-aligned; True while any reason remains.
 */
export function withConflict(conditions: Condition[] | undefined, reason: string, message: string | undefined): Condition[] {
  const existing = (conditions ?? []).find((entry) => entry.type === 'Conflict')
  // A Conflict that is not True (NoConflicts) holds no reasons to merge with.
  const active = existing?.status === 'True'
  const reasons = active && existing.reason ? existing.reason.split(',') : []
  const messages = active && existing.message ? existing.message.split('\n') : []
  const index = reasons.indexOf(reason)
  if (message === undefined) {
    if (!existing) return conditions ?? []
    if (index === -1) return conditions ?? []
    reasons.splice(index, 1)
    messages.splice(index, 1)
  } else if (index === -1) {
    reasons.push(reason)
    messages.push(message)
  } else if (messages[index] !== message) {
    messages[index] = message
  } else {
    return conditions ?? []
  }

  const next = reasons.length > 0 ? condition('Conflict', 'True', reasons.join(','), messages.join('\n')) : condition('Conflict', 'False', 'NoConflicts', '')
  return [...(conditions ?? []).filter((entry) => entry.type !== 'Conflict'), next]
}

const PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease']
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/**
 * Whether broker data may make this agent create objects in a namespace: a valid name, and not a
 * system, Submariner or broker namespace. Upstream trusted it (fixed later, lighthouse PR #2251).
 */
export function importableNamespace(namespace: string | undefined, own: {submarinerNamespace: string; brokerNamespace: string}): boolean {
  if (!namespace || namespace.length > 63 || !DNS_LABEL.test(namespace)) return false
  return !PROTECTED_NAMESPACES.includes(namespace) && namespace !== own.submarinerNamespace && namespace !== own.brokerNamespace
}

/** Why a Service of this namespace is not exported, said where the user looks (the ServiceExport, subctl export). */
export function unexportableNamespaceMessage(namespace: string): string {
  return `Services in namespace "${namespace}" are not exported: no cluster imports into system, Submariner or broker namespaces`
}

/** UTC Unix nanoseconds of an RFC 3339 time, as the per-cluster timestamp annotations hold them. */
export function exportTimestamp(creationTimestamp: string | undefined): string {
  const ms = Date.parse(creationTimestamp ?? '')
  return Number.isNaN(ms) ? String(2n ** 63n - 2n) : `${BigInt(ms) * 1_000_000n}`
}
