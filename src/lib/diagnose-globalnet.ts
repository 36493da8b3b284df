/**
 * diagnose's Globalnet judgement (reference/subctl.md §8.2, "globalnet"): the cluster's egress
 * object, every GlobalEgressIP, and each exported ClusterIP service's GlobalIngressIP and the
 * internal Service that carries it.
 */
import type {ServiceObject} from '../api/mcs.js'
import type {ClusterGlobalEgressIP, Condition, GlobalEgressIP, GlobalIngressIP} from '../api/submariner.js'
import type {Finding} from './diagnose-report.js'
import {CLUSTER_EGRESS_NAME, LABEL_EXPORTED_SERVICE_REF} from './globalnet/naming.js'

export interface GlobalnetObjects {
  clusterEgress: ClusterGlobalEgressIP[]
  egress: GlobalEgressIP[]
  ingress: GlobalIngressIP[]
  exports: Array<{namespace: string; name: string}>
  services: ServiceObject[]
}

const allocated = (conditions: Condition[] | undefined) => conditions?.find((condition) => condition.type === 'Allocated')
const describe = (condition: Condition | undefined) => (condition ? `${condition.reason ?? ''}: ${condition.message ?? ''}` : 'no Allocated condition yet')
const FIX_LOGS = 'See the log of the submariner-globalnet pod on the active gateway: kubectl logs -n submariner-operator ds/submariner-globalnet'

function egressFindings(what: string, wanted: number, ips: string[] | undefined, conditions: Condition[] | undefined): Finding[] {
  const condition = allocated(conditions)
  if (condition?.status !== 'True') return [{fix: FIX_LOGS, message: `${what} is not allocated (${describe(condition)})`, status: 'failed'}]
  if ((ips ?? []).length !== wanted) return [{fix: FIX_LOGS, message: `${what} asks for ${wanted} global IP(s) but holds ${(ips ?? []).length}`, status: 'failed'}]
  return []
}

export function judgeGlobalnet(objects: GlobalnetObjects): Finding[] {
  const findings: Finding[] = []
  const named = objects.clusterEgress.filter((object) => object.metadata.name === CLUSTER_EGRESS_NAME)
  if (objects.clusterEgress.length !== 1 || named.length !== 1) {
    findings.push({
      fix: `Keep exactly one ClusterGlobalEgressIP, named ${CLUSTER_EGRESS_NAME}; Globalnet creates it when it is missing`,
      message: `Found ${objects.clusterEgress.length} ClusterGlobalEgressIP(s) (${objects.clusterEgress.map((object) => object.metadata.name).join(', ') || 'none'}); exactly one, named ${CLUSTER_EGRESS_NAME}, is expected`,
      status: 'failed',
    })
  }

  for (const object of named) findings.push(...egressFindings(`The ClusterGlobalEgressIP ${CLUSTER_EGRESS_NAME}`, object.spec?.numGlobalIPs ?? 1, object.status?.allocatedIPs, object.status?.conditions))
  for (const object of objects.egress) {
    findings.push(...egressFindings(`The GlobalEgressIP ${object.metadata.namespace}/${object.metadata.name}`, object.spec?.numberOfIPs ?? 1, object.status?.allocatedIPs, object.status?.conditions))
  }

  for (const {namespace, name} of objects.exports) {
    const service = objects.services.find((candidate) => candidate.metadata.namespace === namespace && candidate.metadata.name === name)
    if (!service) {
      findings.push({message: `The exported service ${namespace}/${name} has no Service`, status: 'warning'})
      continue
    }

    if (service.spec.clusterIP === 'None' || (service.spec.type ?? 'ClusterIP') !== 'ClusterIP') continue
    const ingress = objects.ingress.find((candidate) => candidate.metadata.namespace === namespace && candidate.metadata.name === name)
    const ip = ingress?.status?.allocatedIP
    const condition = allocated(ingress?.status?.conditions)
    if (!ingress || !ip || condition?.status !== 'True') {
      findings.push({fix: FIX_LOGS, message: `The exported service ${namespace}/${name} has no allocated GlobalIngressIP (${ingress ? describe(condition) : 'none exists'})`, status: 'failed'})
      continue
    }

    const internal = objects.services.filter((candidate) => candidate.metadata.namespace === namespace && candidate.metadata.labels?.[LABEL_EXPORTED_SERVICE_REF] === name)
    if (internal.length !== 1) {
      findings.push({fix: FIX_LOGS, message: `The exported service ${namespace}/${name} has ${internal.length} internal Services labelled ${LABEL_EXPORTED_SERVICE_REF}=${name}; exactly one is expected`, status: 'failed'})
    } else if (internal[0]?.spec.externalIPs?.[0] !== ip) {
      findings.push({fix: FIX_LOGS, message: `The internal Service of ${namespace}/${name} has external IP ${internal[0]?.spec.externalIPs?.[0] ?? 'none'}, not its global IP ${ip}`, status: 'failed'})
    }
  }

  if (!findings.some((finding) => finding.status === 'failed')) findings.push({message: 'Globalnet is correctly configured: the egress IPs and every exported service’s global IP are allocated', status: 'passed'})
  return findings
}
