/**
 * `subctl diagnose` (reference/subctl.md §8): runs one check, or all of them in upstream's order,
 * on every cluster of the run, and the inter-cluster firewall checks on a pair (or, with
 * `all --contexts`, on every ordered pair). Returns every finding; the command renders them.
 */
import type {KubeConnectionOptions} from '../../k8s/kubeconfig.js'
import type {ServiceExport, ServiceObject} from '../../api/mcs.js'
import type {ClusterGlobalEgressIP, GlobalEgressIP, GlobalIngressIP} from '../../api/submariner.js'
import {Resources} from '../../k8s/resources.js'
import {judgeGlobalnet} from '../../lib/diagnose-globalnet.js'
import type {CheckResult} from '../../lib/diagnose-report.js'
import {messageOf, SubctlError, usageError} from '../../lib/errors.js'
import type {Reporter} from '../../lib/reporter.js'
import {checkCni, checkConnections, checkK8sVersion, checkKubeProxyMode} from './basic-checks.js'
import {openClusters, openContext, runStep, type DiagnoseCluster, type DiagnoseIo, type DiagnoseSettings} from './cluster.js'
import {checkDeployment} from './deployment.js'
import {checkFirewallInterCluster, checkFirewallIntraCluster, type InterClusterKind} from './firewall.js'
import {checkServiceDiscovery} from './service-discovery.js'

export const CLUSTER_CHECKS = ['k8s-version', 'cni', 'connections', 'deployment', 'kube-proxy-mode', 'service-discovery', 'firewall intra-cluster'] as const
export type ClusterCheck = (typeof CLUSTER_CHECKS)[number] | 'all'

const RUNNERS: Record<(typeof CLUSTER_CHECKS)[number], (io: DiagnoseIo, cluster: DiagnoseCluster) => Promise<void>> = {
  cni: checkCni,
  connections: checkConnections,
  deployment: checkDeployment,
  'firewall intra-cluster': checkFirewallIntraCluster,
  'k8s-version': checkK8sVersion,
  'kube-proxy-mode': checkKubeProxyMode,
  'service-discovery': checkServiceDiscovery,
}

export interface DiagnoseOutput {
  reporter: Reporter
  /** Called before a cluster's checks (the table's `Cluster "x"` heading). */
  onCluster: (context: string) => void
  /** Called after each group of `all` (upstream prints a blank line). */
  onGroupEnd: () => void
  /** A line that is not a finding, e.g. why the inter-cluster checks were skipped. */
  note: (line: string) => void
}

export interface DiagnoseOutcome {
  results: CheckResult[]
  warnings: string[]
}

async function checkGlobalnet(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner?.spec.globalCIDR) return
  await runStep(io, cluster, 'globalnet', 'Checking that Globalnet is correctly configured and functioning', async (found) => {
    const {client} = cluster
    const [clusterEgress, egress, ingress, exports, services] = await Promise.all([
      client.tryList<ClusterGlobalEgressIP>(Resources.ClusterGlobalEgressIP),
      client.tryList<GlobalEgressIP>(Resources.GlobalEgressIP),
      client.tryList<GlobalIngressIP>(Resources.GlobalIngressIP),
      client.tryList<ServiceExport>(Resources.ServiceExport),
      client.tryList<ServiceObject>(Resources.Service),
    ])
    const objects = {clusterEgress, egress, exports: exports.map((object) => ({name: object.metadata.name as string, namespace: object.metadata.namespace as string})), ingress, services}
    for (const finding of judgeGlobalnet(objects)) found.add(finding)
  })
}

async function runAll(io: DiagnoseIo, cluster: DiagnoseCluster, output: DiagnoseOutput): Promise<void> {
  const groups: Array<Array<(io: DiagnoseIo, cluster: DiagnoseCluster) => Promise<void>>> = [[checkK8sVersion], [checkDeployment]]
  if (cluster.submariner) groups.push([checkCni, checkConnections, checkKubeProxyMode, checkFirewallIntraCluster, checkGlobalnet])
  if (cluster.serviceDiscovery) groups.push([checkServiceDiscovery])
  for (const group of groups) {
    for (const run of group) await run(io, cluster)
    output.onGroupEnd()
  }
}

export interface DiagnoseOptions extends KubeConnectionOptions {
  contexts?: string[]
  inCluster?: boolean
}

/** One check (or all) on every cluster of the run. */
export async function diagnoseClusters(check: ClusterCheck, options: DiagnoseOptions, settings: DiagnoseSettings, output: DiagnoseOutput): Promise<DiagnoseOutcome> {
  const io: DiagnoseIo = {reporter: output.reporter, results: [], settings}
  const {clusters, warnings} = await openClusters(options, settings)
  const opened: DiagnoseCluster[] = []
  try {
    for (const entry of clusters) {
      output.onCluster(entry.context)
      if (!entry.cluster) {
        const message = messageOf(entry.error)
        io.results.push({check, cluster: entry.context, message, status: 'failed', ...(entry.error instanceof SubctlError && entry.error.hint ? {fix: entry.error.hint} : {})})
        output.reporter.failure(message)
        continue
      }

      opened.push(entry.cluster)
      if (check === 'all') await runAll(io, entry.cluster, output)
      else await RUNNERS[check](io, entry.cluster)
    }

    if (check === 'all') {
      const joined = opened.filter((cluster) => cluster.submariner)
      if ((options.contexts?.length ?? 0) > 1 && joined.length > 1) {
        for (const local of joined) {
          for (const remote of joined) {
            if (local === remote) continue
            output.onCluster(`${local.context} from ${remote.context}`)
            await checkFirewallInterCluster(io, local, remote, 'tunnel')
            await checkFirewallInterCluster(io, local, remote, 'nat-discovery')
            output.onGroupEnd()
          }
        }
      } else {
        output.note('Skipping inter-cluster firewall check as it requires two kubeconfigs. Please run "subctl diagnose firewall inter-cluster" command manually.')
      }
    }
  } finally {
    for (const entry of clusters) entry.cluster?.client.close()
  }

  return {results: io.results, warnings}
}

/** firewall inter-cluster / nat-discovery: from the remote cluster's nodes to the local gateway. */
export async function diagnoseInterCluster(kind: InterClusterKind, local: KubeConnectionOptions, remote: KubeConnectionOptions | undefined, settings: DiagnoseSettings, output: DiagnoseOutput): Promise<DiagnoseOutcome> {
  if (!remote) throw usageError('NO_REMOTE_CONTEXT', 'no remote context was specified', 'Name the other cluster with --remotecontext (or --remoteconfig)')
  const io: DiagnoseIo = {reporter: output.reporter, results: [], settings}
  const localCluster = await openContext(local, settings)
  try {
    const remoteCluster = await openContext(remote, settings)
    try {
      output.onCluster(localCluster.context)
      await checkFirewallInterCluster(io, localCluster, remoteCluster, kind)
    } finally {
      remoteCluster.client.close()
    }
  } finally {
    localCluster.client.close()
  }

  return {results: io.results, warnings: []}
}
