/**
 * Globalnet and clusterset-IP allocations, recorded on the broker in the ConfigMaps
 * submariner-globalnet-info and submariner-clustersetip-info (reference/subctl.md §13.4).
 */
import {allocateBlock, nextPowerOfTwo, overlaps, parseCidr} from './cidr.js'

export interface ClusterAllocation {
  cluster_id: string
  global_cidr: string[]
}

/** The ConfigMap keys of one kind of allocation. */
export interface AllocationKeys {
  enabled: string
  range: string
  size: string
  /** How messages name it: "Globalnet" or "ClustersetIP". */
  title: string
}

export const GLOBALNET_KEYS: AllocationKeys = {
  enabled: 'globalnetEnabled',
  range: 'globalnetCidrRange',
  size: 'globalnetClusterSize',
  title: 'Globalnet',
}

export const CLUSTERSET_IP_KEYS: AllocationKeys = {
  enabled: 'clustersetIPEnabled',
  range: 'clustersetIPCidrRange',
  size: 'clustersetIPClusterSize',
  title: 'ClustersetIP',
}

export interface AllocationConfig {
  enabled: boolean
  range: string
  clusterSize: number
  clusters: ClusterAllocation[]
}

/** Reads the ConfigMap data; a missing clusterinfo means no allocations yet. */
export function parseAllocationConfig(data: Record<string, string> | undefined, keys: AllocationKeys): AllocationConfig {
  const range = data?.[keys.range]
  return {
    clusterSize: Number(data?.[keys.size] ?? 0),
    clusters: data?.clusterinfo ? (JSON.parse(data.clusterinfo) as ClusterAllocation[]) : [],
    enabled: data?.[keys.enabled] === 'true',
    // Upstream stores the range JSON-quoted ("\"242.0.0.0/8\"").
    range: range ? (range.startsWith('"') ? (JSON.parse(range) as string) : range) : '',
  }
}

/** The ConfigMap data deploy-broker creates. */
export function allocationConfigData(keys: AllocationKeys, config: {enabled: boolean; range: string; clusterSize: number}): Record<string, string> {
  return {
    [keys.enabled]: String(config.enabled),
    [keys.range]: JSON.stringify(config.range),
    [keys.size]: String(config.clusterSize),
  }
}

/** Upstream writes clusterinfo as tab-indented JSON. */
export function formatClusterInfo(clusters: ClusterAllocation[]): string {
  return JSON.stringify(clusters, null, '\t')
}

export type AllocationOutcome =
  | {kind: 'reused' | 'allocated' | 'specified'; cidr: string; message: string}
  | {kind: 'kept'; cidr: string; message: string; warning: true}

/**
 * Decides this cluster's CIDR: keep what the broker already recorded for it, else the requested
 * one (if it overlaps no other cluster's), else the next free block. Throws with upstream's
 * wording when the request overlaps or the range is exhausted.
 */
export function planAllocation(input: {
  config: AllocationConfig
  clusterId: string
  requested?: string | undefined
  size?: number | undefined
  title: string
}): AllocationOutcome {
  const {clusterId, config, requested, title} = input
  const label = title.toLowerCase()
  const existing = config.clusters.find((entry) => entry.cluster_id === clusterId)?.global_cidr[0]
  if (existing) {
    if (requested && requested !== existing) {
      return {cidr: existing, kind: 'kept', message: `A pre-configured ${label} CIDR ${existing} was detected - not using the specified CIDR ${requested}`, warning: true}
    }

    return {cidr: existing, kind: 'reused', message: `Using pre-configured ${label} CIDR ${existing}`}
  }

  const others = config.clusters.filter((entry) => entry.cluster_id !== clusterId)
  if (requested) {
    const wanted = parseCidr(requested)
    if (!wanted) throw new Error(`specified ${label} CIDR "${requested}" is invalid`)
    for (const other of others) {
      for (const cidr of other.global_cidr) {
        const taken = parseCidr(cidr)
        if (taken && overlaps(wanted, taken)) {
          throw new Error(`error validating overlapping ${label} CIDRs ${requested}: invalid CIDR "${requested}" overlaps with cluster "${other.cluster_id}"`)
        }
      }
    }

    return {cidr: wanted.text, kind: 'specified', message: `Using specified ${label} CIDR ${wanted.text}`}
  }

  const size = nextPowerOfTwo(input.size && input.size > 0 ? input.size : config.clusterSize)
  const cidr = allocateBlock(config.range, size, others.flatMap((entry) => entry.global_cidr))
  if (!cidr) throw new Error(`no more allocations available in "${config.range}"`)
  return {cidr, kind: 'allocated', message: `Allocated ${label} CIDR ${cidr}`}
}

/** The clusterinfo list with this cluster's CIDR recorded (replaced in place, or appended). */
export function withAllocation(clusters: ClusterAllocation[], clusterId: string, cidr: string): ClusterAllocation[] {
  const entry = {cluster_id: clusterId, global_cidr: [cidr]}
  return clusters.some((existing) => existing.cluster_id === clusterId)
    ? clusters.map((existing) => (existing.cluster_id === clusterId ? entry : existing))
    : [...clusters, entry]
}

/** Checks a Globalnet cluster size against its supernet (upstream: > 0 and <= half the supernet). */
export function clusterSizeProblem(size: number, range: string): string | undefined {
  const supernet = parseCidr(range)
  if (!supernet) return undefined
  if (size <= 0) return 'cluster size must be > 0'
  const rounded = nextPowerOfTwo(size)
  const half = 2 ** (32 - supernet.prefix) / 2
  if (rounded > half) return `cluster size ${size}, should be <= ${half}`
  return undefined
}
