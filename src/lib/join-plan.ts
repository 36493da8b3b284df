/**
 * join's decisions that need no I/O (reference/subctl.md §4): the flag checks made before anything
 * is read, the CIDR plan against the clusters already on the broker, the cluster-ID uniqueness
 * rule, and which nodes become gateways. services/join.ts feeds them what it read.
 */
import {CABLE_DRIVERS, GATEWAY_LABEL, type Cluster} from '../api/submariner.js'
import {overlaps, parseCidr} from './cidr.js'
import {SubctlError, usageError} from './errors.js'
import {parseImageOverrides} from './images.js'

/** Set by join on the cluster's record on the broker: identifies the joining cluster across re-joins. */
export const KUBE_SYSTEM_UID_ANNOTATION = 'submariner.io/kube-system-uid'

export interface JoinFlags {
  cableDriver: string
  imageOverrides: string[]
  clusterCIDR?: string | undefined
  serviceCIDR?: string | undefined
  globalnetCIDR?: string | undefined
  globalnetClusterSize: number
  clustersetIPCIDR?: string | undefined
  nattPort: number
  healthCheckInterval: number
  healthCheckMaxPacketLossCount: number
  brokerURL?: string | undefined
  corednsCustomConfigMap?: string | undefined
}

export interface CoreDNSConfig {
  configMapName: string
  namespace?: string
}

/** The checks that need nothing but the flags; returns what the flags parse to. */
export function checkJoinFlags(flags: JoinFlags): {imageOverrides: Record<string, string>; coreDNS?: CoreDNSConfig} {
  if (!(CABLE_DRIVERS as readonly string[]).includes(flags.cableDriver)) {
    throw usageError('INVALID_CABLE_DRIVER', `Unknown cable driver "${flags.cableDriver}"`, `Pass --cable-driver ${CABLE_DRIVERS.join(', ')}`)
  }

  const imageOverrides = parseImageOverrides(flags.imageOverrides)
  for (const [flag, value] of [
    ['--clustercidr', flags.clusterCIDR],
    ['--servicecidr', flags.serviceCIDR],
    ['--globalnet-cidr', flags.globalnetCIDR],
    ['--clusterset-ip-cidr', flags.clustersetIPCIDR],
  ] as const) {
    if (value !== undefined && !parseCidr(value)) throw usageError('INVALID_CIDR', `${flag} "${value}" is not a valid CIDR`, 'Use a.b.c.d/n, e.g. 10.8.0.0/16')
  }

  if (flags.globalnetCIDR && flags.globalnetClusterSize > 0) {
    throw usageError('GLOBALNET_FLAGS', 'Only one of cluster size and global CIDR can be specified', 'Pass --globalnet-cidr or --globalnet-cluster-size, not both')
  }

  if (!Number.isInteger(flags.nattPort) || flags.nattPort < 1 || flags.nattPort > 65_535) {
    throw usageError('INVALID_PORT', `--nattport ${flags.nattPort} is not a port number`, 'Pass a port between 1 and 65535')
  }

  if (flags.healthCheckInterval < 1 || flags.healthCheckMaxPacketLossCount < 1) {
    throw usageError('INVALID_HEALTH_CHECK', '--health-check-interval and --health-check-max-packet-loss-count must be at least 1', 'Pass positive values')
  }

  if (flags.brokerURL !== undefined && !/^https:\/\/[^/]+/.test(flags.brokerURL)) {
    throw usageError('INVALID_BROKER_URL', `--broker-url "${flags.brokerURL}" is not an https URL`, 'Pass the broker API URL, e.g. https://192.168.1.10:6443')
  }

  if (!flags.corednsCustomConfigMap) return {imageOverrides}
  const parts = flags.corednsCustomConfigMap.split('/')
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw usageError('INVALID_COREDNS_CONFIGMAP', 'coredns-custom-configmap should be in <namespace>/<name> format, namespace is optional', 'Pass NAME or NAMESPACE/NAME')
  }

  const coreDNS = parts.length === 2 ? {configMapName: parts[1] as string, namespace: parts[0] as string} : {configMapName: parts[0] as string}
  return {coreDNS, imageOverrides}
}

export interface NetworkPlan {
  /** Comma-separated, as the Submariner CR carries them. */
  clusterCIDR: string
  serviceCIDR: string
  plugin: string
}

/** DESIGN §2: overlapping CIDRs are reported, with the fix, before anything is written. */
export function checkCidrPlan(clusterId: string, network: NetworkPlan, others: Cluster[], globalnet: boolean): void {
  if (globalnet) return
  const mine = [...network.clusterCIDR.split(',').map((cidr) => ['cluster', cidr] as const), ...network.serviceCIDR.split(',').map((cidr) => ['service', cidr] as const)]
  for (const other of others) {
    if (other.spec.cluster_id === clusterId) continue
    const theirs = [...(other.spec.cluster_cidr ?? []).map((cidr) => ['cluster', cidr] as const), ...(other.spec.service_cidr ?? []).map((cidr) => ['service', cidr] as const)]
    for (const [myKind, myCidr] of mine) {
      for (const [theirKind, theirCidr] of theirs) {
        const a = parseCidr(myCidr)
        const b = parseCidr(theirCidr)
        if (a && b && overlaps(a, b)) {
          throw new SubctlError(
            'CIDR_OVERLAP',
            `The ${myKind} CIDR ${myCidr} of cluster "${clusterId}" overlaps the ${theirKind} CIDR ${theirCidr} of cluster "${other.spec.cluster_id}", already on the broker`,
            {hint: 'Clusters with overlapping CIDRs need Globalnet: deploy the broker with "subctl deploy-broker --globalnet" and join again'},
          )
        }
      }
    }
  }
}

/** A unique cluster ID: a broker record of this ID must be this cluster's own. */
export function checkUniqueClusterId(clusterId: string, record: Cluster | undefined, hasLocalCluster: boolean, kubeSystemUID: string | undefined): void {
  if (!record) return
  const owner = record.metadata.annotations?.[KUBE_SYSTEM_UID_ANNOTATION]
  const same = owner ? owner === kubeSystemUID : hasLocalCluster
  if (!same) {
    throw usageError(
      'CLUSTER_ID_NOT_UNIQUE',
      `Detected an existing joined cluster with the same ID "${clusterId}" on the broker. Cluster IDs must be unique across all clusters`,
      'Pass another --clusterid',
    )
  }
}

export interface NodeLabels {
  name: string
  labels: Record<string, string>
}

export interface GatewayChoice {
  /** Nodes already labeled as gateways. */
  existing: string[]
  toLabel: string[]
  /** Several candidates and no flag: the question to ask. */
  ask?: string[]
  /** Why no gateway will be labeled, when that is worth a warning. */
  warning?: string
}

/**
 * Which nodes become gateways: the --gateway-nodes flag, else the nodes already labeled, else (with
 * --label-gateway) the only worker, or a question when there are several and a terminal to ask on.
 */
export function chooseGateways(nodes: NodeLabels[], flags: {gatewayNodes: string[]; labelGateway: boolean}, interactive: boolean): GatewayChoice {
  const labelled = nodes.filter((node) => node.labels[GATEWAY_LABEL] === 'true').map((node) => node.name)
  if (flags.gatewayNodes.length > 0) {
    for (const name of flags.gatewayNodes) {
      if (!nodes.some((node) => node.name === name)) {
        throw usageError('GATEWAY_NODE_NOT_FOUND', `--gateway-nodes names "${name}", which is not a node of this cluster`, `Nodes: ${nodes.map((node) => node.name).join(', ')}`)
      }
    }

    return {existing: labelled, toLabel: flags.gatewayNodes.filter((name) => !labelled.includes(name))}
  }

  if (labelled.length > 0 || !flags.labelGateway) return {existing: labelled, toLabel: []}
  let workers = nodes.filter((node) => 'node-role.kubernetes.io/worker' in node.labels)
  if (workers.length === 0) workers = nodes.filter((node) => !('node-role.kubernetes.io/master' in node.labels))
  const names = workers.map((node) => node.name).sort()
  if (names.length === 0) return {existing: [], toLabel: [], warning: 'No worker node available to label as the gateway'}
  if (names.length === 1) return {existing: [], toLabel: names}
  if (!interactive) {
    throw usageError(
      'GATEWAY_NODE_REQUIRED',
      `No node is labeled ${GATEWAY_LABEL}=true and ${names.length} could be the gateway (${names.join(', ')}); without a terminal subctl cannot ask which`,
      `Pass --gateway-nodes NAME (or label one: kubectl label node NAME ${GATEWAY_LABEL}=true)`,
    )
  }

  return {ask: names, existing: [], toLabel: []}
}

/** broker-info's URL as the Submariner CR's brokerK8sApiServer: host:port, no scheme. */
export function brokerApiServer(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '')
}
