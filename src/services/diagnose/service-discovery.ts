/**
 * diagnose service-discovery: upstream's status checks of every ServiceExport (§8.2), then,
 * beyond upstream, each exported name end to end from a pod: a lookup through the cluster's own
 * DNS as a workload makes it, a connection to the first TCP port behind the answer, and when the
 * lookup fails, a lookup straight at the Lighthouse DNS and a read of the CoreDNS Corefile, to
 * say which hop is broken.
 */
import {OPERATOR_NAMESPACE, type Condition} from '../../api/submariner.js'
import type {ConfigMap, KubeObject, ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {corefileForwards, endToEndFinding, exportStatusFindings} from '../../lib/diagnose-discovery.js'
import {parseConnectResult, parseResolveResult, type ResolveResult} from '../../lib/nettest-result.js'
import {CLUSTERSET_DOMAIN, LIGHTHOUSE_DNS} from '../../manifests/components.js'
import {notInstalled, runStep, type DiagnoseCluster, type DiagnoseIo, type Findings} from './cluster.js'
import {runProbe} from './probe-pods.js'

interface ServiceExportObject {
  metadata: {name?: string; namespace?: string}
  status?: {conditions?: Condition[]}
}

const LIGHTHOUSE_MANAGED = 'endpointslice.kubernetes.io/managed-by=lighthouse-agent.submariner.io'
const SERVICE_NAME_LABEL = 'multicluster.kubernetes.io/service-name'
/** How long a lookup may wait for its answer: an export reaches DNS within seconds. */
const RESOLVE_WITHIN_MS = 5000

async function lighthouseTarget(cluster: DiagnoseCluster): Promise<{ip?: string; corefile: string}> {
  const service = await cluster.client.tryGet<ServiceModel>(Resources.Service, LIGHTHOUSE_DNS, OPERATOR_NAMESPACE)
  const custom = cluster.serviceDiscovery?.spec.coreDNSCustomConfig
  const configMap = await cluster.client.tryGet<ConfigMap>(Resources.ConfigMap, custom?.configMapName || 'coredns', custom?.namespace || 'kube-system')
  const corefile = Object.values(configMap?.data ?? {}).join('\n')
  const ip = service?.spec?.clusterIP
  return {corefile, ...(ip && ip !== 'None' ? {ip} : {})}
}

async function resolveProbe(cluster: DiagnoseCluster, name: string, server?: string): Promise<{result: ResolveResult; node: string}> {
  const args = ['nettest', 'resolve', '--name', name, '--expect', 'any', '--within-ms', String(RESOLVE_WITHIN_MS), ...(server ? ['--server', server] : [])]
  const {output, pod} = await runProbe(cluster.client, cluster.probe, {args, name: 'validate-dns', placement: {kind: 'non-gateway'}})
  return {node: pod.node, result: parseResolveResult(output) ?? {answers: [], expect: 'any', matched: false, name, status: 'no result', summary: output.trim(), type: 'A'}}
}

async function endToEnd(found: Findings, cluster: DiagnoseCluster, service: ServiceModel, importExists: boolean, lighthouse: {ip?: string; corefile: string}): Promise<void> {
  const {name, namespace} = service.metadata as {name: string; namespace: string}
  const dnsName = `${name}.${namespace}.svc.${CLUSTERSET_DOMAIN}`
  const port = service.spec?.ports?.find((entry) => (entry.protocol ?? 'TCP') === 'TCP')?.port
  const viaClusterDns = await resolveProbe(cluster, dnsName)
  const viaLighthouse = !viaClusterDns.result.matched && lighthouse.ip ? (await resolveProbe(cluster, dnsName, lighthouse.ip)).result : undefined
  let connect
  if (viaClusterDns.result.matched && port !== undefined) {
    const args = ['nettest', 'connect', '--target', `${dnsName}:${port}`, '--open-only', '--count', '3', '--min-success', '1', '--timeout-ms', '5000', '--interval-ms', '500']
    const {output} = await runProbe(cluster.client, cluster.probe, {args, name: 'validate-connect', placement: {kind: 'non-gateway'}})
    connect = parseConnectResult(output) ?? {answers: [], attempts: 0, errors: [output.trim() || 'the connector printed no result'], latencyMs: null, passed: false, protocol: 'tcp' as const, successes: 0, summary: 'no result', target: `${dnsName}:${port}`}
  }

  found.add(
    endToEndFinding({
      corednsForwards: lighthouse.ip ? corefileForwards(lighthouse.corefile, CLUSTERSET_DOMAIN, lighthouse.ip) : false,
      dnsName,
      importExists,
      lighthouseIp: lighthouse.ip,
      port,
      probedFrom: `a pod on ${cluster.context}/${viaClusterDns.node}`,
      viaClusterDns: viaClusterDns.result,
      ...(viaLighthouse ? {viaLighthouse} : {}),
      ...(connect ? {connect} : {}),
    }),
  )
}

export async function checkServiceDiscovery(io: DiagnoseIo, cluster: DiagnoseCluster): Promise<void> {
  if (!cluster.serviceDiscovery) return notInstalled(io, cluster, 'service-discovery', 'service-discovery')
  const clusterId = cluster.serviceDiscovery.spec.clusterID
  const exports = await cluster.client.tryList<ServiceExportObject & KubeObject>(Resources.ServiceExport)
  // What the status step read, for the end-to-end step: each exported Service that exists, and whether it was imported.
  const probed: Array<{service: ServiceModel; imported: boolean}> = []
  await runStep(io, cluster, 'service-discovery', 'Checking that services have been exported properly', async (found) => {
    if (exports.length === 0) found.pass('No services are exported')
    for (const serviceExport of exports) {
      const {name, namespace} = serviceExport.metadata as {name: string; namespace: string}
      const [service, slices, localImport, aggregated] = await Promise.all([
        cluster.client.tryGet<ServiceModel>(Resources.Service, name, namespace),
        cluster.client.tryList(Resources.EndpointSlice, {labelSelector: `${LIGHTHOUSE_MANAGED},${SERVICE_NAME_LABEL}=${name},multicluster.kubernetes.io/source-cluster=${clusterId}`, namespace}),
        cluster.client.tryGet(Resources.ServiceImport, `${name}-${namespace}-${clusterId}`, OPERATOR_NAMESPACE),
        cluster.client.tryGet(Resources.ServiceImport, name, namespace),
      ])
      const findings = exportStatusFindings({
        aggregatedImportExists: Boolean(aggregated),
        clusterId,
        conditions: serviceExport.status?.conditions ?? [],
        endpointSliceExists: slices.length > 0,
        localImportExists: Boolean(localImport),
        localImportNamed: Boolean(localImport?.metadata.labels?.[SERVICE_NAME_LABEL]),
        name,
        namespace,
        serviceExists: Boolean(service),
      })
      for (const finding of findings) found.add(finding)
      if (findings.length === 0) found.pass(`The ServiceExport ${namespace}/${name} and its Lighthouse objects are in order`)
      if (service) probed.push({imported: Boolean(aggregated), service})
    }
  })

  if (probed.length === 0) return
  await runStep(io, cluster, 'service-discovery', 'Checking that the exported services resolve through the cluster DNS and answer', async (found) => {
    const lighthouse = await lighthouseTarget(cluster)
    for (const {imported, service} of probed) await endToEnd(found, cluster, service, imported, lighthouse)
  })
}
