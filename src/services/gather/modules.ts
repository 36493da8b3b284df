/**
 * What each gather module collects (reference/subctl.md §10): logs and resources of connectivity
 * (with the node commands run in the route agent and gateway pods through pods/exec, and `wg show`
 * for WireGuard), service discovery, the broker and the operator.
 */
import {BROKER_CR, BROKER_NAMESPACE, OPERATOR_NAMESPACE, type ServiceDiscovery, type Submariner} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import type {ConfigMap, DeploymentObject, KubeObject, PodObject} from '../../k8s/objects.js'
import {Resources, type ResourceType} from '../../k8s/resources.js'
import type {GatherType} from '../../lib/gather.js'
import type {StepReporter} from '../../lib/reporter.js'
import {openBrokerOf} from '../broker-access.js'
import type {Bundle} from './bundle.js'

export interface GatherContext {
  client: KubeClient
  bundle: Bundle
  submariner?: Submariner
  serviceDiscovery?: ServiceDiscovery
}

const LIGHTHOUSE_SLICES = 'endpointslice.kubernetes.io/managed-by=lighthouse-agent.submariner.io'

async function pods(client: KubeClient, labelSelector: string, step: StepReporter, namespace?: string): Promise<PodObject[]> {
  const found = (await client.list<PodObject>(Resources.Pod, {labelSelector, ...(namespace ? {namespace} : {})})).items
  step.success(`Found ${found.length} pods matching label selector "${labelSelector}"`)
  return found
}

async function objects(context: GatherContext, resource: string, type: ResourceType, options: {namespace?: string; labelSelector?: string} = {}): Promise<void> {
  const found = await context.client.tryList<KubeObject>(type, options)
  await context.bundle.objects(resource, found)
}

const ROUTE_AGENT_COMMANDS: Array<[string, string]> = [
  ['ip-a', 'ip -d a'],
  ['ip-l', 'ip -d l'],
  ['ip-routes', 'ip route show'],
  ['ip-rules', 'ip rule list'],
  ['ip-rules-table150', 'ip rule show table 150'],
  ['sysctl-a', 'sysctl -a'],
  ['ipset-list', 'ipset list'],
  ['iptables-filter', 'iptables -L -n -v --line-numbers'],
  ['iptables-nat', 'iptables -L -n -v --line-numbers -t nat'],
  ['iptables-mangle', 'iptables -L -n -v --line-numbers -t mangle'],
  ['iptables-save', 'iptables-save -c'],
]

function gatewayCommands(driver: string): Array<[string, string]> {
  const commands: Array<[string, string]> = [['ip-routes-table150', 'ip route show table 150']]
  if (driver === 'libreswan') commands.push(['ip-xfrm-policy', 'ip xfrm policy'], ['ip-xfrm-state', 'ip xfrm state'], ['ipsec-status', 'ipsec status'], ['ipsec-trafficstatus', 'ipsec --trafficstatus'])
  if (driver === 'vxlan') commands.push(['ip-routes-table100', 'ip route show table 100'])
  if (driver === 'wireguard') commands.push(['wg-show', 'wg show all'], ['wg-showconf', 'wg show all dump'])
  return commands
}

export async function gatherConnectivity(context: GatherContext, type: GatherType, step: StepReporter): Promise<void> {
  if (!context.submariner) {
    step.warning('The Submariner connectivity components are not installed')
    return
  }

  const {bundle, client} = context
  const globalnet = Boolean(context.submariner.spec.globalCIDR)
  if (type === 'logs') {
    for (const app of ['submariner-gateway', 'submariner-routeagent', 'submariner-addon', ...(globalnet ? ['submariner-globalnet'] : [])]) await bundle.podLogs(client, await pods(client, `app=${app}`, step), step)
    const metricsContainers = ['gateway-metrics-proxy', ...(globalnet ? ['globalnet-metrics-proxy'] : [])]
    await bundle.podLogs(client, await pods(client, 'app=submariner-metrics-proxy', step), step, metricsContainers)
    return
  }

  for (const pod of await pods(client, 'app=submariner-routeagent', step, OPERATOR_NAMESPACE)) await bundle.commands(client, pod, ROUTE_AGENT_COMMANDS, step)
  const driver = context.submariner.spec.cableDriver || 'libreswan'
  for (const pod of await pods(client, 'app=submariner-gateway', step, OPERATOR_NAMESPACE)) await bundle.commands(client, pod, gatewayCommands(driver), step)
  for (const [resource, type] of [
    ['endpoints', Resources.Endpoint],
    ['clusters', Resources.Cluster],
    ['gateways', Resources.Gateway],
    ['routeagents', Resources.RouteAgent],
  ] as const) {
    await objects(context, resource, type, {namespace: OPERATOR_NAMESPACE})
  }

  for (const [resource, type] of [
    ['clusterglobalegressips', Resources.ClusterGlobalEgressIP],
    ['globalegressips', Resources.GlobalEgressIP],
    ['globalingressips', Resources.GlobalIngressIP],
  ] as const) {
    await objects(context, resource, type)
  }
}

export async function gatherServiceDiscovery(context: GatherContext, type: GatherType, step: StepReporter): Promise<void> {
  if (!context.serviceDiscovery) {
    step.warning('The Submariner service discovery components are not installed')
    return
  }

  const {bundle, client} = context
  if (type === 'logs') {
    await bundle.podLogs(client, await pods(client, 'component=submariner-lighthouse', step), step)
    const openshift = await client.list<PodObject>(Resources.Pod, {labelSelector: 'dns.operator.openshift.io/daemonset-dns=default'})
    if (openshift.items.length > 0) await bundle.podLogs(client, openshift.items, step, ['dns'])
    else await bundle.podLogs(client, await pods(client, 'k8s-app=kube-dns', step), step)
    return
  }

  await objects(context, 'serviceexports', Resources.ServiceExport)
  await objects(context, 'serviceimports', Resources.ServiceImport)
  await objects(context, 'endpointslices', Resources.EndpointSlice, {labelSelector: LIGHTHOUSE_SLICES})
  await objects(context, 'configmaps', Resources.ConfigMap, {labelSelector: 'component=submariner-lighthouse', namespace: OPERATOR_NAMESPACE})
  const custom = context.serviceDiscovery.spec.coreDNSCustomConfig
  const coreDns = [
    await client.tryGet<ConfigMap>(Resources.ConfigMap, 'coredns', 'kube-system'),
    await client.tryGet<ConfigMap>(Resources.ConfigMap, 'dns-default', 'openshift-dns'),
    custom ? await client.tryGet<ConfigMap>(Resources.ConfigMap, custom.configMapName, custom.namespace || 'kube-system') : undefined,
  ].filter((configMap): configMap is ConfigMap => configMap !== undefined)
  await bundle.objects('configmaps', coreDns)
  await objects(context, 'services', Resources.Service, {labelSelector: 'submariner.io/exportedServiceRef'})
}

const BROKER_KINDS = [
  ['endpoints', Resources.Endpoint, {}],
  ['clusters', Resources.Cluster, {}],
  ['endpointslices', Resources.EndpointSlice, {labelSelector: LIGHTHOUSE_SLICES}],
  ['serviceimports', Resources.ServiceImport, {}],
] as const

export async function gatherBroker(context: GatherContext, type: GatherType, step: StepReporter): Promise<void> {
  if (type === 'logs') return
  const spec = context.submariner?.spec ?? context.serviceDiscovery?.spec
  if (spec) {
    const broker = await openBrokerOf(context.client, spec)
    try {
      for (const [resource, kind, options] of BROKER_KINDS) {
        const found = await broker.tryList<KubeObject>(kind, {...options, namespace: spec.brokerK8sRemoteNamespace})
        step.success(`Found ${found.length} ${resource} in namespace "${spec.brokerK8sRemoteNamespace}"`)
        await context.bundle.objects(resource, found)
      }
    } finally {
      broker.close()
    }

    return
  }

  // Upstream looks for the Broker only in submariner-operator, where deploy-broker does not put it.
  const broker = (await context.client.tryGet(Resources.Broker, BROKER_CR, OPERATOR_NAMESPACE)) ?? (await context.client.tryGet(Resources.Broker, BROKER_CR, BROKER_NAMESPACE))
  if (!broker) {
    step.warning('No broker was found on this cluster, and it has not joined one')
    return
  }

  for (const [resource, kind, options] of BROKER_KINDS) await objects(context, resource, kind, options)
}

export async function gatherOperator(context: GatherContext, type: GatherType, step: StepReporter): Promise<void> {
  const {bundle, client} = context
  const deployment = await client.tryGet<DeploymentObject>(Resources.Deployment, 'submariner-operator', OPERATOR_NAMESPACE)
  if (type === 'logs') {
    const labels = deployment?.spec?.template.metadata?.labels
    if (!labels) {
      step.warning('The Submariner operator is not installed')
      return
    }

    await bundle.podLogs(client, await pods(client, Object.entries(labels).map(([key, value]) => `${key}=${value}`).join(','), step, OPERATOR_NAMESPACE), step)
    return
  }

  await objects(context, 'submariners', Resources.Submariner, {namespace: OPERATOR_NAMESPACE})
  await objects(context, 'servicediscoveries', Resources.ServiceDiscovery, {namespace: OPERATOR_NAMESPACE})
  if (deployment) await bundle.objects('deployments', [deployment])
  for (const app of ['submariner-gateway', 'submariner-metrics-proxy', 'submariner-routeagent', 'submariner-globalnet']) await objects(context, 'daemonsets', Resources.DaemonSet, {labelSelector: `app=${app}`, namespace: OPERATOR_NAMESPACE})
  for (const app of ['submariner-lighthouse-agent', 'submariner-lighthouse-coredns']) await objects(context, 'deployments', Resources.Deployment, {labelSelector: `app=${app}`, namespace: OPERATOR_NAMESPACE})
  const loadBalancer = await client.tryGet<KubeObject>(Resources.Service, 'submariner-gateway', OPERATOR_NAMESPACE)
  if (loadBalancer) await bundle.objects('services', [loadBalancer])
}
