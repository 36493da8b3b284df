/**
 * The checks of diagnose that read status (reference/subctl.md §8.2): k8s-version, cni (with the
 * OVN and Calico prerequisites), connections (gateways and route agents) and kube-proxy-mode.
 */
import {OPERATOR_NAMESPACE, type Gateway} from '../../api/submariner.js'
import type {KubeObject, PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {calicoFindings, cniFinding, ovnSchemaFinding, type IPPool} from '../../lib/diagnose-cni.js'
import {gatewayConnectionFindings, kubeProxyFinding, routeAgentFindings, type RouteAgentObject} from '../../lib/diagnose-checks.js'
import {kubernetesRequirements} from '../../lib/requirements.js'
import {notInstalled, runStep, type DiagnoseCluster, type DiagnoseIo} from './cluster.js'
import {runProbe} from './probe-pods.js'

export async function checkK8sVersion(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  await runStep(io, cluster, 'k8s-version', 'Checking Submariner support for the Kubernetes version', async (found) => {
    const version = await cluster.client.serverVersion()
    const problems = kubernetesRequirements(version, {connectivity: true, serviceDiscovery: Boolean(cluster.serviceDiscovery)})
    for (const problem of problems) found.add({fix: 'Upgrade the cluster', message: problem, status: 'failed'})
    if (problems.length === 0) found.pass(`Kubernetes version "${version.gitVersion}" is supported`, {version: version.gitVersion})
  })
}

export async function checkCni(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner) return notInstalled(io, cluster, 'cni', 'connectivity')
  const plugin = cluster.submariner.status?.networkPlugin
  await runStep(io, cluster, 'cni', 'Checking Submariner support for the CNI network plugin', async (found) => found.add(cniFinding(plugin)))
  if (plugin?.toLowerCase() === 'ovnkubernetes') {
    await runStep(io, cluster, 'cni', 'Checking OVN version', async (found) => {
      const [pod] = (await cluster.client.list<PodObject>(Resources.Pod, {labelSelector: 'ovn-db-pod=true'})).items
      const container = pod?.spec?.containers.find((candidate) => candidate.name.startsWith('nb'))
      if (!pod || !container) {
        found.add({fix: 'Check that OVN-Kubernetes runs its database pods (label ovn-db-pod=true)', message: 'Could not find an OVN database pod with an nb container', status: 'failed'})
        return
      }

      const result = await cluster.client.exec(pod.metadata.name as string, pod.metadata.namespace as string, ['ovn-nbctl', '-V'], {container: container.name})
      found.add(ovnSchemaFinding(result.stdout + result.stderr))
    })
  }

  if (plugin?.toLowerCase() === 'calico') {
    await runStep(io, cluster, 'cni', 'Calico CNI detected, checking if the Submariner IPPool pre-requisites are configured', async (found) => {
      const [pools, gateways] = await Promise.all([cluster.client.tryList<IPPool & KubeObject>(Resources.CalicoIPPool), cluster.client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})])
      for (const finding of calicoFindings(pools, gateways)) found.add(finding)
    })
  }
}

export async function checkConnections(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner) return notInstalled(io, cluster, 'connections', 'connectivity')
  await runStep(io, cluster, 'connections', 'Checking gateway connections', async (found) => {
    const findings = gatewayConnectionFindings(await cluster.client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE}))
    for (const finding of findings) found.add(finding)
    if (findings.length === 0) found.pass('All connections are established')
  })
  await runStep(io, cluster, 'connections', 'Checking route agent connections', async (found) => {
    const findings = routeAgentFindings(await cluster.client.tryList<RouteAgentObject & KubeObject>(Resources.RouteAgent, {namespace: OPERATOR_NAMESPACE}))
    for (const finding of findings) found.add(finding)
    if (findings.length === 0) found.pass('All route agents report their remote endpoints connected')
  })
}

export async function checkKubeProxyMode(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner) return notInstalled(io, cluster, 'kube-proxy-mode', 'connectivity')
  await runStep(io, cluster, 'kube-proxy-mode', 'Checking Submariner support for the kube-proxy mode', async (found) => {
    if (cluster.submariner?.status?.networkPlugin === 'OVNKubernetes') {
      found.pass('Cluster is running with "OVNKubernetes" CNI which internally implements kube-proxy functionality')
      return
    }

    const {output, pod} = await runProbe(cluster.client, cluster.probe, {command: 'ip a s kube-ipvs0', hostNetwork: true, name: 'query-iface-list', placement: {kind: 'gateway'}})
    const finding = kubeProxyFinding(output)
    found.add({...finding, details: {...finding.details, node: pod.node}})
  })
}
