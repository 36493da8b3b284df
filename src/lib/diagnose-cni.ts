/**
 * The CNI checks of diagnose (reference/subctl.md §8.2, cni): whether the discovered plugin is one
 * Submariner supports, the OVN database schema, and the Calico IPPools Submariner needs.
 */
import type {Gateway} from '../api/submariner.js'
import type {Finding} from './diagnose-report.js'

export const SUPPORTED_CNIS = ['generic', 'canal-flannel', 'weave-net', 'OpenShiftSDN', 'OVNKubernetes', 'calico', 'kindnet']

export function cniFinding(plugin: string | undefined): Finding {
  if (!plugin) return {fix: 'Wait for the operator to discover the network, or check its log', message: "The network plugin hasn't been determined yet.", status: 'warning'}
  if (!SUPPORTED_CNIS.some((name) => name.toLowerCase() === plugin.toLowerCase())) {
    return {
      cause: 'Submariner programs routes and rules for the CNIs it knows; others may keep its traffic from pods',
      fix: `Use one of the supported plugins, or join with --clustercidr and test with "subctl verify" to see whether ${plugin} works`,
      message: `The detected CNI plugin ("${plugin}") is not supported by Submariner. Supported plugins: [${SUPPORTED_CNIS.join(' ')}]`,
      status: 'failed',
    }
  }

  if (plugin.toLowerCase() === 'generic') return {message: 'Submariner could not detect the CNI network plugin and is using ("generic") plugin. It may or may not work.', status: 'warning'}
  return {message: `The detected CNI network plugin ("${plugin}") is supported`, status: 'passed'}
}

export const OVN_MINIMUM_SCHEMA = '6.1.0'

function compareVersions(a: number[], b: number[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0)
    if (difference !== 0) return difference
  }

  return 0
}

/** `ovn-nbctl -V` printed "... DB Schema X.Y.Z": it must be at least 6.1.0. */
export function ovnSchemaFinding(output: string): Finding {
  const match = /DB Schema\s+(\d+(?:\.\d+){0,2})/.exec(output)
  if (!match?.[1]) return {details: {output}, fix: 'Check that the OVN northbound database runs', message: `Could not read the OVN DB schema version from "ovn-nbctl -V": ${output.trim()}`, status: 'failed'}
  const version = match[1]
  if (compareVersions(version.split('.').map(Number), OVN_MINIMUM_SCHEMA.split('.').map(Number)) < 0) {
    return {fix: 'Upgrade OVN-Kubernetes to a release whose northbound schema is 6.1.0 or newer', message: `The OVN NB DB schema version ${version} is not supported; Submariner needs ${OVN_MINIMUM_SCHEMA} or later`, status: 'failed'}
  }

  return {message: `The OVN NB DB schema version ${version} is supported`, status: 'passed'}
}

export interface IPPool {
  metadata: {name?: string}
  spec?: {cidr?: string; disabled?: boolean; natOutgoing?: boolean; vxlanMode?: string}
}

/**
 * Calico: every remote subnet of an active gateway's connections needs a disabled IPPool without
 * NAT (so that Calico neither allocates from it nor masquerades to it), and a local subnet with a
 * pool must use VXLAN always.
 */
export function calicoFindings(pools: IPPool[], gateways: Gateway[]): Finding[] {
  const findings: Finding[] = []
  const byCidr = new Map(pools.map((pool) => [pool.spec?.cidr ?? '', pool]))
  for (const gateway of gateways.filter((candidate) => candidate.status?.haStatus === 'active')) {
    for (const connection of gateway.status?.connections ?? []) {
      for (const subnet of connection.endpoint.subnets) {
        const pool = byCidr.get(subnet)
        if (!pool) {
          findings.push({fix: `Create a Calico IPPool for ${subnet} with disabled: true and natOutgoing: false`, message: `Could not find any IPPool with CIDR "${subnet}" for remote endpoint "${connection.endpoint.cable_name}"`, status: 'failed'})
        } else if (pool.spec?.disabled !== true || pool.spec?.natOutgoing !== false) {
          findings.push({
            fix: `Set disabled: true and natOutgoing: false on IPPool ${pool.metadata.name}`,
            message: `The IPPool "${pool.metadata.name}" with CIDR "${subnet}" for remote endpoint "${connection.endpoint.cable_name}" has disabled=${pool.spec?.disabled ?? false} and natOutgoing=${pool.spec?.natOutgoing ?? false}`,
            status: 'failed',
          })
        }
      }
    }

    for (const subnet of gateway.status?.localEndpoint.subnets ?? []) {
      const pool = byCidr.get(subnet)
      if (pool && pool.spec?.vxlanMode !== 'Always') {
        findings.push({fix: `Set vxlanMode: Always on IPPool ${pool.metadata.name}`, message: `The IPPool "${pool.metadata.name}" with CIDR "${subnet}" for the local endpoint has vxlanMode ${pool.spec?.vxlanMode ?? 'Never'}; it must be Always`, status: 'failed'})
      }
    }
  }

  if (findings.length === 0) findings.push({message: 'The Calico IPPools Submariner needs are configured', status: 'passed'})
  return findings
}
