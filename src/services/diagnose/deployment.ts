/**
 * diagnose deployment (reference/subctl.md §8.2): the CIDRs of the broker's Endpoints do not
 * overlap, the DaemonSets and Deployments are scheduled and available, the Submariner pods run
 * (crash loops and restarts named, one active gateway), and the gateway metrics answer from a
 * non-gateway node.
 */
import {OPERATOR_NAMESPACE, type Endpoint} from '../../api/submariner.js'
import type {DaemonSetObject, DeploymentObject, PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {activeGatewayFinding, endpointOverlapFindings, podFindings} from '../../lib/diagnose-checks.js'
import {podOutput, truncated} from '../../lib/diagnose-report.js'
import {GATEWAY, GLOBALNET, LIGHTHOUSE_AGENT, LIGHTHOUSE_DNS, ROUTE_AGENT} from '../../manifests/components.js'
import {openBrokerOf} from '../broker-access.js'
import {isSingleNode, notInstalled, runStep, type DiagnoseCluster, type DiagnoseIo, type Findings} from './cluster.js'
import {runProbe, TRANSIENT_LABEL} from './probe-pods.js'

async function checkOverlaps(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  const spec = cluster.submariner?.spec
  if (!spec) return
  const globalnet = Boolean(spec.globalCIDR)
  const title = globalnet
    ? 'Globalnet deployment detected - checking that globalnet CIDRs do not overlap'
    : 'Non-Globalnet deployment detected - checking that cluster CIDRs do not overlap'
  await runStep(io, cluster, 'deployment', title, async (found) => {
    const broker = await openBrokerOf(cluster.client, spec)
    try {
      const endpoints = await broker.list<Endpoint>(Resources.Endpoint, {namespace: spec.brokerK8sRemoteNamespace})
      const findings = endpointOverlapFindings(
        endpoints.items.map((endpoint) => ({name: endpoint.metadata.name as string, spec: endpoint.spec})),
        globalnet,
      )
      for (const finding of findings) found.add(finding)
      if (findings.length === 0) found.pass(`The CIDRs of the ${endpoints.items.length} clusters on the broker do not overlap`)
    } finally {
      broker.close()
    }
  })
}

function daemonSetProblem(daemonSet: DaemonSetObject): string | undefined {
  const status = daemonSet.status
  if (!status) return 'it has no status yet'
  if (status.currentNumberScheduled !== status.desiredNumberScheduled) return `${status.currentNumberScheduled} of ${status.desiredNumberScheduled} pods are scheduled`
  return undefined
}

function deploymentProblem(deployment: DeploymentObject): string | undefined {
  const desired = deployment.spec?.replicas ?? 1
  // Upstream compares available to desired only, and passes a Deployment scaled to 0.
  if (desired === 0) return 'it is scaled to 0 replicas'
  const available = deployment.status?.availableReplicas ?? 0
  return available === desired ? undefined : `${available} of ${desired} replicas are available`
}

async function checkWorkloads(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  const daemonSets = cluster.submariner ? [GATEWAY, ROUTE_AGENT, ...(cluster.submariner.spec.globalCIDR ? [GLOBALNET] : [])] : []
  for (const name of daemonSets) {
    await runStep(io, cluster, 'deployment', `Checking DaemonSet "${name}"`, async (found) => {
      const daemonSet = await cluster.client.tryGet<DaemonSetObject>(Resources.DaemonSet, name, OPERATOR_NAMESPACE)
      const problem = daemonSet ? daemonSetProblem(daemonSet) : 'it does not exist'
      if (problem) found.add({cause: problem, fix: `kubectl describe daemonset ${name} -n ${OPERATOR_NAMESPACE} (and the submariner-operator log, which creates it)`, message: `The DaemonSet "${name}" is not ready: ${problem}`, status: 'failed'})
      else found.pass(`The DaemonSet "${name}" has all its pods scheduled`)
    })
  }

  const deployments = cluster.serviceDiscovery ? [LIGHTHOUSE_AGENT, LIGHTHOUSE_DNS] : []
  for (const name of deployments) {
    await runStep(io, cluster, 'deployment', `Checking Deployment "${name}"`, async (found) => {
      const deployment = await cluster.client.tryGet<DeploymentObject>(Resources.Deployment, name, OPERATOR_NAMESPACE)
      const problem = deployment ? deploymentProblem(deployment) : 'it does not exist'
      if (!problem) {
        found.pass(`The Deployment "${name}" has all its replicas available`)
        return
      }

      const scaledDown = deployment?.spec?.replicas === 0
      found.add({
        cause: scaledDown ? 'It is scaled to 0 replicas, so nothing serves' : problem,
        fix: scaledDown ? `kubectl scale deployment ${name} -n ${OPERATOR_NAMESPACE} --replicas=1` : `kubectl describe deployment ${name} -n ${OPERATOR_NAMESPACE}`,
        message: `The Deployment "${name}" is not ready: ${problem}`,
        status: 'failed',
      })
    })
  }
}

async function checkPods(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  await runStep(io, cluster, 'deployment', 'Checking the status of all Submariner pods', async (found) => {
    const pods = (await cluster.client.list<PodObject>(Resources.Pod, {labelSelector: `!${TRANSIENT_LABEL}`, namespace: OPERATOR_NAMESPACE})).items
    const findings = podFindings(pods)
    if (cluster.submariner) {
      const gatewayFinding = activeGatewayFinding(pods.filter((pod) => pod.metadata.labels?.app === GATEWAY))
      if (gatewayFinding) findings.push(gatewayFinding)
    }

    for (const finding of findings) found.add(finding)
    if (findings.length === 0) found.pass(`All ${pods.length} Submariner pods are up and running`)
  })
}

async function probeMetrics(found: Findings, cluster: DiagnoseCluster, service: string, port: number): Promise<void> {
  const url = `${service}.${OPERATOR_NAMESPACE}.svc.cluster.local:${port}/metrics`
  const {output, pod} = await runProbe(cluster.client, cluster.probe, {command: `curl -I -m 10 --retry 6 ${url}`, name: 'validate-metrics', placement: {kind: 'non-gateway'}})
  if (/200 OK/.test(output)) {
    found.pass(`The metrics of ${service} answer at ${url} from node "${pod.node}"`)
    return
  }

  found.add({
    cause: `No HTTP 200 from ${url} (the ${service} Service on port ${port}) from a pod on node "${pod.node}"`,
    details: {node: pod.node, output: truncated(output), port, url},
    fix: `Check that the ${service} Service has endpoints (kubectl get endpointslices -n ${OPERATOR_NAMESPACE} -l kubernetes.io/service-name=${service}) and that TCP/${port} reaches the gateway nodes`,
    message: `Unable to access gateway metrics service in ${OPERATOR_NAMESPACE} namespace: Unexpected output ${podOutput(output)}`,
    status: 'failed',
  })
}

async function checkMetrics(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner) return
  await runStep(io, cluster, 'deployment', 'Checking that gateway metrics are accessible from non-gateway nodes', async (found) => {
    if (isSingleNode(cluster)) {
      found.pass("Skipping this check as it's a single node cluster")
      return
    }

    await probeMetrics(found, cluster, 'submariner-gateway-metrics', 8080)
    if (cluster.submariner?.spec.globalCIDR) await probeMetrics(found, cluster, 'submariner-globalnet-metrics', 8081)
  })
}

export async function checkDeployment(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.submariner && !cluster.serviceDiscovery) return notInstalled(io, cluster, 'deployment', 'any')
  await checkOverlaps(io, cluster)
  await checkWorkloads(io, cluster)
  await checkPods(io, cluster)
  await checkMetrics(io, cluster)
}
