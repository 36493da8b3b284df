/** The environment the operator gives the data-plane roles (reference/dataplane.md §3.1, §4.1). */
import {ArgumentError} from './runtime/role.js'

export interface AgentEnvironment {
  clusterId: string
  namespace: string
  clusterCIDRs: string[]
  serviceCIDRs: string[]
  globalCIDRs: string[]
  nodeName: string
  podName: string
  podNamespace: string
  healthCheck: {enabled: boolean; intervalSeconds: number; maxPacketLossCount: number}
  uninstall: boolean
  debug: boolean
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)

export const flag = (value: string | undefined, fallback = false) => (value === undefined || value === '' ? fallback : value === 'true')

export function readEnvironment(env: NodeJS.ProcessEnv): AgentEnvironment {
  const clusterId = env.SUBMARINER_CLUSTERID ?? ''
  const nodeName = env.NODE_NAME ?? ''
  if (!clusterId) throw new ArgumentError('SUBMARINER_CLUSTERID must be set')
  if (!nodeName) throw new ArgumentError('NODE_NAME must be set')
  return {
    clusterCIDRs: list(env.SUBMARINER_CLUSTERCIDR).filter((cidr) => !cidr.includes(':')),
    clusterId,
    debug: flag(env.SUBMARINER_DEBUG),
    globalCIDRs: list(env.SUBMARINER_GLOBALCIDR),
    healthCheck: {
      enabled: flag(env.SUBMARINER_HEALTHCHECKENABLED, true),
      intervalSeconds: Math.max(1, Number(env.SUBMARINER_HEALTHCHECKINTERVAL ?? 1) || 1),
      maxPacketLossCount: Math.max(1, Number(env.SUBMARINER_HEALTHCHECKMAXPACKETLOSSCOUNT ?? 5) || 5),
    },
    namespace: env.SUBMARINER_NAMESPACE || 'submariner-operator',
    nodeName,
    podName: env.POD_NAME ?? '',
    podNamespace: env.POD_NAMESPACE || env.SUBMARINER_NAMESPACE || 'submariner-operator',
    serviceCIDRs: list(env.SUBMARINER_SERVICECIDR).filter((cidr) => !cidr.includes(':')),
    uninstall: flag(env.SUBMARINER_UNINSTALL),
  }
}
