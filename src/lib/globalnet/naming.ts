/**
 * The names Globalnet gives what it makes (reference/dataplane.md §5.2–5.4), as upstream's, so
 * that chains, ipsets and objects read the same to anyone who knows Submariner.
 */
import {createHash} from 'node:crypto'

export const CHAINS = {
  clusterEgress: 'SM-GN-EGRESS-CLUSTER',
  egress: 'SUBMARINER-GN-EGRESS',
  headlessEndpointsEgress: 'SM-GN-EGRESS-HDLS-EPS',
  headlessPodsEgress: 'SM-GN-EGRESS-HDLS-PODS',
  ingress: 'SUBMARINER-GN-INGRESS',
  mark: 'SUBMARINER-GN-MARK',
  namespaceEgress: 'SM-GN-EGRESS-NS',
  podEgress: 'SM-GN-EGRESS-PODS',
  /** The route agent's chain; globalnet's egress jump is its first rule. */
  postrouting: 'SUBMARINER-POSTROUTING',
} as const

/** SUBMARINER-GN-EGRESS jumps to these in order: the first SNAT that matches wins. */
export const EGRESS_ORDER = [CHAINS.mark, CHAINS.podEgress, CHAINS.headlessPodsEgress, CHAINS.headlessEndpointsEgress, CHAINS.namespaceEgress, CHAINS.clusterEgress] as const

export const IPSET_PREFIX = 'SM-GN-'
/** Inter-cluster traffic: what the mark chain marks and every SNAT rule matches. */
export const GLOBALNET_MARK = '0xc0000/0xc0000'
export const CLUSTER_EGRESS_NAME = 'cluster-egress.submariner.io'
export const DEFAULT_CLUSTER_EGRESS_IPS = 8
export const LEASE_NAME = 'submariner-globalnet-lock'

export const LABEL_EXPORTED_SERVICE_REF = 'submariner.io/exportedServiceRef'
export const LABEL_SERVICE_REF = 'submariner.io/serviceRef'
export const LABEL_CLONED_FROM = 'endpoints.submariner.io/cloned-from'
export const ANNOTATION_HEADLESS_POD_IP = 'submariner.io/headless-svc-pod-ip'
export const ANNOTATION_HEADLESS_ENDPOINTS_IP = 'submariner.io/headless-svc-endpoints-ip'
/** On a Gateway: its health-check global IP. */
export const ANNOTATION_GATEWAY_GLOBAL_IP = 'submariner.io/globalIp'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 with padding (Go's base32.StdEncoding). */
export function base32(bytes: Uint8Array): string {
  let output = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      output += ALPHABET[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }

  if (bits > 0) output += ALPHABET[(buffer << (5 - bits)) & 31]
  while (output.length % 8 !== 0) output += '='
  return output
}

const hashed = (text: string) => base32(createHash('sha256').update(text).digest())

/** The ipset of a GlobalEgressIP's pods: `SM-GN-` and 25 characters of its key's hash (ipset names stop at 31). */
export function egressIpsetName(namespace: string, name: string): string {
  return `${IPSET_PREFIX}${hashed(`${namespace}/${name}`).slice(0, 25)}`
}

/** The internal Service whose externalIP is an exported ClusterIP service's global IP. */
export function internalServiceName(service: string): string {
  return `submariner-${hashed(service).slice(0, 32).toLowerCase()}`
}

/** The GlobalIngressIP of a headless service's pod. */
export function podIngressName(pod: string): string {
  return `pod-${pod.slice(0, 59)}`
}

/** The GlobalIngressIP of an address of a selector-less headless service's Endpoints. */
export function endpointsIngressName(endpoints: string, ip: string): string {
  return `ep-${endpoints.slice(0, 44)}-${ip.slice(0, 15)}`.replace(/[^a-z0-9.-]/g, '-').replace(/[.-]+$/, '')
}
