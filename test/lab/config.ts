/**
 * The lab's topology and layout: which clusters, their CIDRs, node names and addresses, where
 * state and cached binaries live. Everything else derives from here.
 */
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const LAB_SOURCE = join(REPO, 'test', 'lab')

/** Runtime state: PKI, kubeconfigs, logs, pod directories. On /run so a reboot clears it. */
export const STATE_DIR = process.env.LAB_STATE_DIR ?? '/run/subctl-lab'
/** Built binaries, keyed by the pinned versions, so a second run skips the build. */
export const CACHE_DIR = process.env.LAB_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'subctl-lab')

/**
 * Set in the environment of every process the lab starts (daemons and containers), so that `lab
 * down` finds them all, even those whose network namespace was lost in a crash.
 */
export const LAB_MARKER = 'SUBCTL_LAB_STATE'

/** Prefix of every network namespace the lab creates; `lab down` removes all of them. */
export const NETNS_PREFIX = 'lab-'
export const HOST_NETNS = 'lab-host'
export const BRIDGE_NETNS = 'lab-br'
export const BRIDGE = 'br0'
/** The shared underlay, like kind's docker network. lab-host (the "docker host") is .0.1. */
export const UNDERLAY_PREFIX = 16
export const HOST_IP = '172.30.0.1'
export const ETCD_URL = `http://${HOST_IP}:2379`
export const API_PORT = 6443
export const KUBELET_PORT = 10250
/**
 * Host-side loopback ports forwarded into the lab, one per cluster, for tests and developers.
 * Below the kernel's ephemeral range (32768 up): a client connection of this machine never takes
 * one, so the forwarder can always listen.
 */
export const HOST_API_PORT_BASE = 16443
export const CLUSTER_DOMAIN = 'cluster.local'

export interface ClusterConfig {
  name: string
  /** Position in --clusters; decides the underlay subnet and the host port. */
  index: number
  podCIDR: string
  serviceCIDR: string
  nodes: NodeConfig[]
}

export interface NodeConfig {
  name: string
  cluster: string
  ip: string
  controlPlane: boolean
  netns: string
}

/** The classic quick-start topology, plus c3 overlapping c1 for Globalnet. */
const KNOWN: Record<string, {podCIDR: string; serviceCIDR: string; nodes: number}> = {
  broker: {nodes: 1, podCIDR: '10.7.0.0/16', serviceCIDR: '10.77.0.0/16'},
  c1: {nodes: 2, podCIDR: '10.8.0.0/16', serviceCIDR: '10.88.0.0/16'},
  c2: {nodes: 2, podCIDR: '10.9.0.0/16', serviceCIDR: '10.99.0.0/16'},
  c3: {nodes: 2, podCIDR: '10.8.0.0/16', serviceCIDR: '10.88.0.0/16'},
}

export const DEFAULT_CLUSTERS = 'broker,c1,c2'

/**
 * Parses --clusters: entries separated by commas, each NAME or NAME:PODCIDR:SERVICECIDR[:NODES].
 *   broker,c1,c2
 *   broker,c1,c2,c3                            (c3 overlaps c1, for Globalnet)
 *   broker,c1,c4:10.20.0.0/16:10.120.0.0/16:3
 */
export function parseClusters(spec: string): ClusterConfig[] {
  const clusters = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => clusterFromEntry(entry, index))
  const names = new Set<string>()
  for (const cluster of clusters) {
    if (names.has(cluster.name)) throw new Error(`cluster "${cluster.name}" is listed twice in --clusters`)
    names.add(cluster.name)
  }

  if (clusters.length === 0) throw new Error('--clusters names no cluster')
  if (clusters.length > 200) throw new Error('--clusters: at most 200 clusters')
  return clusters
}

function clusterFromEntry(entry: string, index: number): ClusterConfig {
  const [name = '', podCIDR, serviceCIDR, nodes = '2', ...extra] = entry.split(':')
  if (!/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/.test(name)) {
    throw new Error(`cluster name "${name}" must be a short DNS label (lower-case letters, digits, "-")`)
  }

  let shape = KNOWN[name]
  if (podCIDR !== undefined) {
    if (!isCidr(podCIDR) || !isCidr(serviceCIDR ?? '') || !/^[1-9]$/.test(nodes) || extra.length > 0) {
      throw new Error(`cluster "${entry}" must look like NAME:PODCIDR:SERVICECIDR[:NODES] with 1-9 nodes and /8-/24 CIDRs`)
    }

    shape = {nodes: Number(nodes), podCIDR, serviceCIDR: serviceCIDR as string}
  }

  // Unknown names get their own CIDRs, derived from their position.
  shape ??= {nodes: 2, podCIDR: `10.${20 + index}.0.0/16`, serviceCIDR: `10.${120 + index}.0.0/16`}
  const nodeList = Array.from({length: shape.nodes}, (_, nodeIndex) => {
    const nodeName = nodeIndex === 0 ? `${name}-control-plane` : `${name}-worker${nodeIndex === 1 ? '' : nodeIndex}`
    return {
      cluster: name,
      controlPlane: nodeIndex === 0,
      ip: `172.30.${index + 1}.${10 + nodeIndex}`,
      name: nodeName,
      netns: `${NETNS_PREFIX}${nodeName}`,
    }
  })
  return {index, name, nodes: nodeList, podCIDR: shape.podCIDR, serviceCIDR: shape.serviceCIDR}
}

function isCidr(value: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(value)
  return match !== null && match.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match[5]) >= 8 && Number(match[5]) <= 24
}

/** The first address of a CIDR plus an offset, e.g. the kubernetes Service (offset 1) and DNS (10). */
export function addressInCidr(cidr: string, offset: number): string {
  const [base = ''] = cidr.split('/')
  const value = base.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0) + offset
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.')
}

export const controlPlaneOf = (cluster: ClusterConfig): NodeConfig => cluster.nodes[0] as NodeConfig
export const apiServerURL = (cluster: ClusterConfig): string => `https://${controlPlaneOf(cluster).ip}:${API_PORT}`
export const hostApiPort = (cluster: ClusterConfig): number => HOST_API_PORT_BASE + cluster.index
export const dnsServiceIP = (cluster: ClusterConfig): string => addressInCidr(cluster.serviceCIDR, 10)

/** Paths inside STATE_DIR. */
export const paths = {
  bin: join(STATE_DIR, 'bin'),
  busyboxBin: join(STATE_DIR, 'images', 'busybox', 'bin'),
  clusterDir: (cluster: string) => join(STATE_DIR, 'clusters', cluster),
  hostKubeconfig: join(STATE_DIR, 'kubeconfig.host'),
  kubeconfig: join(STATE_DIR, 'kubeconfig'),
  logs: join(STATE_DIR, 'logs'),
  nodeDir: (node: string) => join(STATE_DIR, 'nodes', node),
  runtimeBundle: join(STATE_DIR, 'node-runtime.js'),
  state: join(STATE_DIR, 'state.json'),
}
