/** Rules about Submariner Endpoints shared by the gateway, the route agent and `show`. */
import type {Endpoint, EndpointSpec} from '../api/submariner.js'
import {overlaps, parseCidr} from './cidr.js'
import {validObjectName} from './cluster-id.js'
import {sameContent} from './canonical.js'

/** `submariner-cable-<clusterID>-<private IP with dashes>`. */
export function cableName(clusterId: string, privateIp: string): string {
  return `submariner-cable-${clusterId}-${privateIp.replaceAll('.', '-')}`
}

/** The Endpoint object's name: `<clusterID>-<cable name>`, made a valid name. */
export function endpointName(spec: Pick<EndpointSpec, 'cluster_id' | 'cable_name'>): string {
  return validObjectName(`${spec.cluster_id}-${spec.cable_name}`)
}

/** The IP other clusters reach the gateway at: public when known, else private. */
export function gatewayIp(spec: EndpointSpec): string {
  return spec.public_ip || spec.private_ip
}

const created = (endpoint: Endpoint) => Date.parse(endpoint.metadata.creationTimestamp ?? '') || 0

/** Per cluster, the most recently created Endpoint (after a failover the old one lingers for a moment). */
export function newestPerCluster(endpoints: Endpoint[]): Map<string, Endpoint> {
  const newest = new Map<string, Endpoint>()
  for (const endpoint of endpoints) {
    const current = newest.get(endpoint.spec.cluster_id)
    if (!current || created(endpoint) > created(current)) newest.set(endpoint.spec.cluster_id, endpoint)
  }

  return newest
}

/** Whether any of these subnets overlaps any of those. */
export function subnetsOverlap(these: string[], those: string[]): boolean {
  return these.some((a) => those.some((b) => {
    const left = parseCidr(a)
    const right = parseCidr(b)
    return left !== undefined && right !== undefined && overlaps(left, right)
  }))
}

/** Whether two specs describe the same endpoint (upstream's Equals): ignoring the preferred-server timestamp under a load balancer. */
export function sameEndpoint(a: EndpointSpec, b: EndpointSpec): boolean {
  if (a.cluster_id !== b.cluster_id || a.cable_name !== b.cable_name || a.hostname !== b.hostname || a.backend !== b.backend) return false
  if (a.backend_config?.['using-loadbalancer'] === 'true' && b.backend_config?.['using-loadbalancer'] === 'true') return true
  return sameContent(a.backend_config ?? {}, b.backend_config ?? {})
}
