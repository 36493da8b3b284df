/**
 * What the agents accept from the broker (issue 14). The broker is shared by every cluster, and its
 * CRDs keep spec and status open, so an object there may carry anything: a service name no
 * Kubernetes object can have, a namespace that is not a label, a port that is a string. Each check
 * returns the first problem in one line (the agent logs it and leaves the object out), or nothing;
 * a sanitiser keeps only the fields the agents know, so unknown fields never travel on.
 */
import {ANNOTATION_TIMESTAMP_PREFIX, LABEL_SERVICE_NAME, LABEL_SOURCE_NAMESPACE, type ServiceImportSpec} from '../api/mcs.js'
import {cidrProblem, isIPv4} from './cidr.js'
import {clusterIdError, DNS1123_LABEL} from './cluster-id.js'

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP'])

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isIp = (value: unknown): value is string => typeof value === 'string' && (isIPv4(value) || (value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value)))
const labelProblem = (what: string, value: unknown, pattern: RegExp): string | undefined =>
  typeof value === 'string' && value.length <= 63 && pattern.test(value) ? undefined : `${what} ${JSON.stringify(value)?.slice(0, 80)} is not a DNS label of at most 63 characters`

function portsProblem(ports: unknown): string | undefined {
  if (!Array.isArray(ports)) return 'spec.ports is not a list'
  for (const port of ports) {
    if (!isRecord(port)) return 'a port is not an object'
    if (!Number.isInteger(port.port) || (port.port as number) < 1 || (port.port as number) > 65_535) return `port ${JSON.stringify(port.port)?.slice(0, 40)} is not a number from 1 to 65535`
    if (port.protocol !== undefined && !PROTOCOLS.has(port.protocol as string)) return `protocol ${JSON.stringify(port.protocol)?.slice(0, 40)} is not TCP, UDP or SCTP`
    if (port.name !== undefined && (typeof port.name !== 'string' || port.name.length > 63)) return 'a port name is not a string of at most 63 characters'
    if (port.appProtocol !== undefined && typeof port.appProtocol !== 'string') return 'a port appProtocol is not a string'
  }

  return undefined
}

/** Whether a namespace and service name could name a Service: the only keys worth reconciling. */
export const validServiceKey = (namespace: unknown, service: unknown): boolean =>
  labelProblem('', namespace, DNS1123_LABEL) === undefined && labelProblem('', service, DNS1035_LABEL) === undefined

/** The problem with an aggregated ServiceImport on the broker, if any. */
export function aggregateProblem(object: {metadata?: {annotations?: unknown}; spec?: unknown; status?: unknown}): string | undefined {
  const annotations = isRecord(object.metadata?.annotations) ? object.metadata.annotations : {}
  const name = labelProblem('service name', annotations[LABEL_SERVICE_NAME], DNS1035_LABEL)
  if (name) return name
  const namespace = labelProblem('namespace', annotations[LABEL_SOURCE_NAMESPACE], DNS1123_LABEL)
  if (namespace) return namespace
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(ANNOTATION_TIMESTAMP_PREFIX) && !/^\d{1,19}$/.test(String(value))) return `annotation ${key} is not a timestamp`
  }

  const spec = object.spec
  if (!isRecord(spec)) return 'spec is not an object'
  if (spec.type !== 'ClusterSetIP' && spec.type !== 'Headless') return `type ${JSON.stringify(spec.type)?.slice(0, 40)} is neither ClusterSetIP nor Headless`
  const ports = portsProblem(spec.ports ?? [])
  if (ports) return ports
  if (spec.ips !== undefined && (!Array.isArray(spec.ips) || spec.ips.length > 2 || !spec.ips.every(isIp))) return 'spec.ips is not a list of at most two IP addresses'
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== 'None' && spec.sessionAffinity !== 'ClientIP') return 'sessionAffinity is neither None nor ClientIP'
  const config = spec.sessionAffinityConfig
  if (config !== undefined) {
    const timeout = isRecord(config) && isRecord(config.clientIP) ? config.clientIP.timeoutSeconds : undefined
    if (!isRecord(config) || (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 1 || (timeout as number) > 86_400))) return 'sessionAffinityConfig.clientIP.timeoutSeconds is not a number of seconds up to a day'
  }

  const status = object.status
  if (status !== undefined && (!isRecord(status) || (status.clusters !== undefined && (!Array.isArray(status.clusters) || !status.clusters.every((entry) => isRecord(entry) && clusterIdError(String(entry.cluster)) === undefined))))) {
    return 'status.clusters is not a list of cluster IDs'
  }

  return undefined
}

/** The spec fields an import keeps of a valid aggregate, and no others. */
export function knownImportSpec(spec: ServiceImportSpec): ServiceImportSpec {
  return {
    ports: (spec.ports ?? []).map((port) => ({
      port: port.port,
      ...(port.name === undefined ? {} : {name: port.name}),
      ...(port.protocol === undefined ? {} : {protocol: port.protocol}),
      ...(port.appProtocol === undefined ? {} : {appProtocol: port.appProtocol}),
    })),
    type: spec.type,
    ...(spec.ips ? {ips: spec.ips} : {}),
    ...(spec.sessionAffinity ? {sessionAffinity: spec.sessionAffinity} : {}),
    ...(spec.sessionAffinityConfig?.clientIP ? {sessionAffinityConfig: {clientIP: {timeoutSeconds: spec.sessionAffinityConfig.clientIP.timeoutSeconds}}} : {}),
    ...(spec.ipFamilies ? {ipFamilies: spec.ipFamilies} : {}),
    ...(spec.internalTrafficPolicy ? {internalTrafficPolicy: spec.internalTrafficPolicy} : {}),
    ...(spec.trafficDistribution ? {trafficDistribution: spec.trafficDistribution} : {}),
  }
}

const cidrListProblem = (what: string, value: unknown): string | undefined =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string' && !cidrProblem(entry)) ? undefined : `${what} is not a list of CIDRs`

/** The problem with another cluster's Endpoint on the broker, if any. */
export function endpointProblem(spec: unknown): string | undefined {
  if (!isRecord(spec)) return 'spec is not an object'
  const cluster = clusterIdError(String(spec.cluster_id))
  if (cluster) return cluster
  for (const key of ['cable_name', 'hostname', 'backend'] as const) {
    if (typeof spec[key] !== 'string' || (spec[key] as string).length === 0 || (spec[key] as string).length > 253) return `${key} is not a name`
  }

  const subnets = cidrListProblem('subnets', spec.subnets)
  if (subnets) return subnets
  if (!isIp(spec.private_ip)) return 'private_ip is not an IP address'
  if (spec.public_ip !== undefined && spec.public_ip !== '' && !isIp(spec.public_ip)) return 'public_ip is not an IP address'
  if (spec.healthCheckIP !== undefined && spec.healthCheckIP !== '' && !isIp(spec.healthCheckIP)) return 'healthCheckIP is not an IP address'
  if (spec.nat_enabled !== undefined && typeof spec.nat_enabled !== 'boolean') return 'nat_enabled is not a boolean'
  if (spec.backend_config !== undefined && (!isRecord(spec.backend_config) || !Object.values(spec.backend_config).every((value) => typeof value === 'string'))) {
    return 'backend_config is not a map of strings'
  }

  return undefined
}

/** The problem with another cluster's Cluster on the broker, if any. */
export function clusterProblem(spec: unknown): string | undefined {
  if (!isRecord(spec)) return 'spec is not an object'
  const cluster = clusterIdError(String(spec.cluster_id))
  if (cluster) return cluster
  for (const key of ['cluster_cidr', 'service_cidr', 'global_cidr'] as const) {
    const problem = spec[key] === undefined || spec[key] === null ? undefined : cidrListProblem(key, spec[key])
    if (problem) return problem
  }

  return undefined
}
