/**
 * Clusterset IPs as virtual IPs (KEP 1645 "clusterSetIP"): the nat rules that make every node of a
 * joined cluster carry traffic for IMPORT-IP:PORT to the exporting clusters, as pure functions of
 * the imports, the EndpointSlices and the Gateways' connections. The route agent programs them
 * (agent/routeagent/clusterset-ip.ts).
 *
 * For each port of a ClusterSetIP import, a chain spreads new connections evenly across the
 * exporting clusters that expose that port number and protocol (so a port goes only where it is
 * served) and are connected. A remote cluster is reached at its service IP (or global IP), where its
 * own kube-proxy takes over; the local cluster is reached at its backing pods directly, because a
 * packet DNATed to the local ClusterIP would pass no kube-proxy rule after ours. SessionAffinity
 * ClientIP pins a client to its backend with xt_recent, as kube-proxy does. Rules are written as
 * `iptables -S` prints them, so a steady state costs one read.
 */
import {createHash} from 'node:crypto'

import {LABEL_K8S_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER, MANAGED_BY_LIGHTHOUSE, type EndpointSlice, type ServiceImport} from '../api/mcs.js'
import type {Gateway} from '../api/submariner.js'
import {isIPv4} from './cidr.js'
import {isImportedCopy} from './lighthouse.js'

export const CLUSTERSET_IP_CHAIN = 'SUBMARINER-CLUSTERSET-IP'
export const CLUSTERSET_IP_CHAIN_PREFIX = 'SM-CSIP-'

/** The nat chains to program: the entry chain, and every per-port, per-cluster and per-backend chain. */
export interface ClustersetIpProgram {
  entry: string[][]
  chains: Map<string, string[][]>
}

interface Backend {
  chain: string
  ip: string
  port: number
}

/** The clusters the active local gateway reports connected (the local cluster is always reachable). */
export function connectedClusters(gateways: Gateway[]): Set<string> {
  const connected = new Set<string>()
  for (const gateway of gateways) {
    if (gateway.status?.haStatus !== 'active') continue
    for (const connection of gateway.status.connections ?? []) if (connection.status === 'connected') connected.add(connection.endpoint.cluster_id)
  }

  return connected
}

const chainName = (...parts: Array<string | number>): string =>
  CLUSTERSET_IP_CHAIN_PREFIX + createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 16).toUpperCase()

const isReady = (endpoint: {conditions?: {ready?: boolean | null}}) => endpoint.conditions?.ready !== false

export function clustersetIpRules(input: {imports: ServiceImport[]; slices: EndpointSlice[]; localCluster: string; connected: Set<string>}): ClustersetIpProgram {
  const program: ClustersetIpProgram = {chains: new Map(), entry: []}
  const imports = input.imports.filter((entry) => entry.spec.type === 'ClusterSetIP' && isImportedCopy(entry)).sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
  for (const serviceImport of imports) {
    const ip = (serviceImport.spec.ips ?? []).find(isIPv4)
    if (!ip) continue
    const namespace = serviceImport.metadata.namespace as string
    const service = serviceImport.metadata.name as string
    const timeout = serviceImport.spec.sessionAffinity === 'ClientIP' ? (serviceImport.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800) : undefined
    const slices = input.slices.filter((slice) => slice.metadata.namespace === namespace)
    const lighthouse = slices.filter((slice) => slice.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE && slice.metadata.labels[LABEL_SERVICE_NAME] === service)
    const kubernetes = slices.filter((slice) => slice.metadata.labels?.[LABEL_K8S_SERVICE_NAME] === service && slice.metadata.labels[LABEL_MANAGED_BY] !== MANAGED_BY_LIGHTHOUSE && slice.addressType === 'IPv4')
    const byCluster = new Map<string, EndpointSlice>()
    for (const slice of lighthouse) {
      const cluster = slice.metadata.labels?.[LABEL_SOURCE_CLUSTER]
      if (cluster && !byCluster.has(cluster)) byCluster.set(cluster, slice)
    }

    for (const port of serviceImport.spec.ports) {
      const protocol = (port.protocol ?? 'TCP').toLowerCase()
      const serves = (slice: EndpointSlice) => (slice.ports ?? []).find((candidate) => candidate.port === port.port && (candidate.protocol ?? 'TCP').toLowerCase() === protocol)
      // One group per exporting cluster that serves this port: its backends share one cluster's share.
      const groups: Backend[][] = []
      for (const [cluster, slice] of [...byCluster].sort(([a], [b]) => a.localeCompare(b))) {
        const served = serves(slice)
        if (!served) continue
        if (cluster === input.localCluster) {
          const backends = localBackends(kubernetes, served.name ?? '', protocol).map((backend) => ({...backend, chain: chainName(namespace, service, protocol, port.port, cluster, backend.ip, backend.port)}))
          if (backends.length > 0) groups.push(backends)
          continue
        }

        const endpoint = slice.endpoints?.[0]
        const address = endpoint?.addresses[0]
        if (!input.connected.has(cluster) || !endpoint || !isReady(endpoint) || !address || !isIPv4(address)) continue
        groups.push([{chain: chainName(namespace, service, protocol, port.port, cluster, address, port.port), ip: address, port: port.port}])
      }

      if (groups.length === 0) continue
      const portChain = chainName(namespace, service, protocol, port.port)
      program.entry.push(['-d', `${ip}/32`, '-p', protocol, '-m', protocol, '--dport', String(port.port), '-j', portChain])
      const rules: string[][] = []
      const backends = groups.flat()
      if (timeout !== undefined) {
        for (const backend of backends) rules.push(['-m', 'recent', '--rcheck', '--seconds', String(timeout), '--reap', '--name', backend.chain, '--mask', '255.255.255.255', '--rsource', '-j', backend.chain])
      }

      groups.forEach((group, index) => {
        const target = group.length === 1 ? (group[0] as Backend).chain : chainName(namespace, service, protocol, port.port, 'group', index)
        if (group.length > 1) program.chains.set(target, spread(group.map((backend) => backend.chain)))
        rules.push([...probability(index, groups.length), '-j', target])
      })
      program.chains.set(portChain, rules)
      for (const backend of backends) {
        const affinity = timeout === undefined ? [] : ['-m', 'recent', '--set', '--name', backend.chain, '--mask', '255.255.255.255', '--rsource']
        program.chains.set(backend.chain, [['-p', protocol, ...affinity, '-m', protocol, '-j', 'DNAT', '--to-destination', `${backend.ip}:${backend.port}`]])
      }
    }
  }

  return program
}

const keyOf = (object: ServiceImport) => `${object.metadata.namespace}/${object.metadata.name}`

/** The statistic match that gives the index-th of n choices an even share of what is left. */
function probability(index: number, count: number): string[] {
  if (index === count - 1) return []
  return ['-m', 'statistic', '--mode', 'random', '--probability', (1 / (count - index)).toFixed(11)]
}

function spread(targets: string[]): string[][] {
  return targets.map((target, index) => [...probability(index, targets.length), '-j', target])
}

/** The local service's ready pods, at the target port of the service port called `portName`. */
function localBackends(slices: EndpointSlice[], portName: string, protocol: string): Array<{ip: string; port: number}> {
  const backends = new Map<string, {ip: string; port: number}>()
  for (const slice of [...slices].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const target = (slice.ports ?? []).find((candidate) => (candidate.name ?? '') === portName && (candidate.protocol ?? 'TCP').toLowerCase() === protocol)?.port
    if (!target) continue
    for (const endpoint of slice.endpoints ?? []) {
      const ip = endpoint.addresses[0]
      if (ip && isReady(endpoint)) backends.set(`${ip}:${target}`, {ip, port: target})
    }
  }

  return [...backends.values()].sort((a, b) => `${a.ip}:${a.port}`.localeCompare(`${b.ip}:${b.port}`))
}
