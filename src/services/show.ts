/**
 * `subctl show` (reference/subctl.md §5): runs on every kube context (once per cluster), or on
 * --context / --contexts, reading the Submariner CRs, Gateways, Brokers and workloads of each.
 * One cluster's failure does not stop the others; the caller gets every outcome.
 */
import {OPERATOR_NAMESPACE, SUBMARINER_CR, type Broker, type Gateway, type Submariner} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {clientFor} from '../k8s/clients.js'
import {selectContexts} from '../k8s/connect.js'
import {loadKubeconfig, resolveTarget, type KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {discoverNetwork} from '../k8s/network-discovery.js'
import type {KubeObject, PodObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {compareText} from '../lib/compare.js'
import {SubctlError} from '../lib/errors.js'
import {
  brokerRows,
  connectionRows,
  endpointRows,
  gatewayRows,
  networkFromSubmariner,
  runningVersion,
  splitImage,
  type BrokerRow,
  type ClusterTopology,
  type ConnectionRow,
  type EndpointRow,
  type GatewayRow,
  type NetworkDetails,
  type VersionRow,
} from '../lib/show.js'
import {DEFAULT_IMAGE_VERSION} from '../lib/version.js'

export interface ClusterOutcome<T> {
  cluster: string
  context: string
  result?: T
  error?: unknown
}

export interface MultiClusterResult<T> {
  outcomes: Array<ClusterOutcome<T>>
  /** E.g. several contexts for one cluster, one picked. */
  warnings: string[]
}

/** Runs `work` against each selected cluster; collects results and errors alike. */
export async function onEachCluster<T>(
  options: KubeConnectionOptions & {contexts?: string[]},
  work: (client: KubeClient, cluster: string) => Promise<T>,
  {sequential = false}: {sequential?: boolean} = {},
): Promise<MultiClusterResult<T>> {
  const loaded = await loadKubeconfig(options)
  const {names, warnings} = selectContexts(loaded, options)
  // The clusters are read at once (one TLS handshake and a few requests each), in the order given;
  // `sequential` for work that reports progress per cluster (gather).
  const one = async (context: string): Promise<ClusterOutcome<T>> => {
    let cluster = context
    try {
      const target = resolveTarget(loaded, {...options, context})
      cluster = target.clusterName
      const client = clientFor(target)
      try {
        return {cluster, context, result: await work(client, cluster)}
      } finally {
        client.close()
      }
    } catch (error) {
      return {cluster, context, error}
    }
  }

  const outcomes: Array<ClusterOutcome<T>> = []
  if (sequential) for (const context of names) outcomes.push(await one(context))
  else outcomes.push(...(await Promise.all(names.map(one))))

  return {outcomes, warnings}
}

export interface Installation {
  submariner?: Submariner
  gateways: Gateway[]
}

/**
 * The per-context setup of upstream's cluster.NewInfo that the show commands read: the Submariner CR,
 * then, where it exists, the Gateways (missing CRDs count as absent; as upstream, nothing more is
 * read of a cluster without Submariner); not the ServiceDiscovery CR, which none of them reads. The
 * requests go one after the other over the client's one kept-alive connection: a TLS handshake
 * costs an API server more than a request, and two handshakes per cluster at once were slower than
 * one handshake and two requests (bench/startup).
 */
export async function installation(client: KubeClient): Promise<Installation> {
  const submariner = await submarinerOf(client)
  if (!submariner) return {gateways: []}
  const gateways = await client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
  return {gateways: gateways.sort((a, b) => compareText(a.metadata.name ?? '', b.metadata.name ?? '')), submariner}
}

function submarinerOf(client: KubeClient): Promise<Submariner | undefined> {
  return client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE)
}

/** Gateways of an installation where connectivity is deployed; the errors upstream gives otherwise. */
export function requireGateways(installed: Installation): Gateway[] | 'not-installed' {
  if (!installed.submariner) return 'not-installed'
  if (installed.gateways.length === 0) throw new SubctlError('NO_GATEWAYS', 'No gateways detected', {hint: 'Check that a node is labelled submariner.io/gateway=true and the gateway pods run'})
  return installed.gateways
}

export async function brokers(client: KubeClient): Promise<Broker[]> {
  return client.tryList<Broker>(Resources.Broker)
}

export async function networkDetails(client: KubeClient, submariner: Submariner | undefined): Promise<NetworkDetails | undefined> {
  if (submariner) return networkFromSubmariner(submariner)
  const discovered = await discoverNetwork(client)
  return discovered ? {clusterCIDRs: discovered.podCIDRs, networkPlugin: discovered.networkPlugin, serviceCIDRs: discovered.serviceCIDRs, source: 'discovery'} : undefined
}

export const WORKLOADS: Array<[string, typeof Resources.DaemonSet]> = [
  ['submariner-gateway', Resources.DaemonSet],
  ['submariner-routeagent', Resources.DaemonSet],
  ['submariner-globalnet', Resources.DaemonSet],
  ['submariner-metrics-proxy', Resources.DaemonSet],
  ['submariner-operator', Resources.Deployment],
  ['submariner-lighthouse-agent', Resources.Deployment],
  ['submariner-lighthouse-coredns', Resources.Deployment],
]

export interface Workload extends KubeObject {
  spec: {selector: {matchLabels?: Record<string, string>}; template: {spec: {containers: Array<{image: string}>}}}
}

/** Component images and the version each running pod logged at start (and its node's architecture). */
export async function versions(client: KubeClient): Promise<VersionRow[]> {
  const rows: VersionRow[] = []
  for (const [name, type] of WORKLOADS) {
    const workload = await client.tryGet<Workload>(type, name, OPERATOR_NAMESPACE)
    if (!workload) continue
    const {repository, tag} = splitImage(workload.spec.template.spec.containers[0]?.image ?? '', DEFAULT_IMAGE_VERSION)
    const selector = Object.entries(workload.spec.selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`).join(',')
    const pods = await client.list<PodObject>(Resources.Pod, {labelSelector: selector, namespace: OPERATOR_NAMESPACE})
    const pod = pods.items.find((candidate) => candidate.status?.phase === 'Running')
    let running = 'Unavailable'
    let arch = ''
    if (pod) {
      const log = await client.podLog(pod.metadata.name as string, OPERATOR_NAMESPACE, {limitBytes: 8192}).catch(() => '')
      running = runningVersion(String(log ?? ''))
      const node = pod.spec?.nodeName ? await client.tryGet(Resources.Node, pod.spec.nodeName) : undefined
      arch = node?.metadata.labels?.['kubernetes.io/arch'] ?? ''
    }

    rows.push({arch, component: name, configured: tag, repository, running})
  }

  return rows
}

type Options = KubeConnectionOptions & {contexts?: string[]}
const NOT_INSTALLED = {installed: false} as const

export type ConnectionsView = {connections: ConnectionRow[]} | typeof NOT_INSTALLED
export type EndpointsView = {endpoints: EndpointRow[]} | typeof NOT_INSTALLED
export type GatewaysView = {gateways: GatewayRow[]} | typeof NOT_INSTALLED

export function showConnections(options: Options): Promise<MultiClusterResult<ConnectionsView>> {
  return onEachCluster(options, async (client) => {
    const gateways = requireGateways(await installation(client))
    if (gateways === 'not-installed') return NOT_INSTALLED
    const connections = connectionRows(gateways)
    if (connections.length === 0) throw new SubctlError('NO_CONNECTIONS', 'No connections found', {hint: 'Join another cluster to the broker, or see "subctl show gateways" for why none is up'})
    return {connections}
  })
}

export function showEndpoints(options: Options): Promise<MultiClusterResult<EndpointsView>> {
  return onEachCluster(options, async (client) => {
    const gateways = requireGateways(await installation(client))
    return gateways === 'not-installed' ? NOT_INSTALLED : {endpoints: endpointRows(gateways)}
  })
}

export function showGateways(options: Options): Promise<MultiClusterResult<GatewaysView>> {
  return onEachCluster(options, async (client) => {
    const gateways = requireGateways(await installation(client))
    return gateways === 'not-installed' ? NOT_INSTALLED : {gateways: gatewayRows(gateways)}
  })
}

export function showNetworks(options: Options): Promise<MultiClusterResult<{network: NetworkDetails | null}>> {
  return onEachCluster(options, async (client) => ({network: (await networkDetails(client, await submarinerOf(client))) ?? null}))
}

export function showVersions(options: Options): Promise<MultiClusterResult<{versions: VersionRow[]}>> {
  return onEachCluster(options, async (client) => ({versions: await versions(client)}))
}

export function showBrokers(options: Options): Promise<MultiClusterResult<{brokers: BrokerRow[]}>> {
  return onEachCluster(options, async (client) => ({brokers: brokerRows(await brokers(client))}))
}

export interface AllView {
  brokers: BrokerRow[]
  installed: boolean
  connections?: ConnectionRow[]
  endpoints?: EndpointRow[]
  gateways?: GatewayRow[]
  network: NetworkDetails | null
  versions: VersionRow[]
}

export function showAll(options: Options): Promise<MultiClusterResult<AllView>> {
  return onEachCluster(options, async (client) => {
    const installed = await installation(client)
    const view: AllView = {
      brokers: brokerRows(await brokers(client)),
      installed: installed.submariner !== undefined,
      network: (await networkDetails(client, installed.submariner)) ?? null,
      versions: await versions(client),
    }
    if (installed.submariner) {
      view.connections = connectionRows(installed.gateways)
      view.endpoints = endpointRows(installed.gateways)
      view.gateways = gatewayRows(installed.gateways)
    }

    return view
  })
}

/** The clusterset as `show topology` draws it: every cluster with its gateways and tunnels. */
export function showTopology(options: Options): Promise<MultiClusterResult<ClusterTopology>> {
  return onEachCluster(options, async (client, cluster) => {
    const installed = await installation(client)
    const network = installed.submariner ? networkFromSubmariner(installed.submariner) : undefined
    return {
      cluster,
      clusterCIDRs: network?.clusterCIDRs ?? [],
      connections: connectionRows(installed.gateways),
      gateways: installed.gateways.map((gateway) => ({
        driver: gateway.status?.localEndpoint.backend ?? '',
        failure: gateway.status?.statusFailure ?? '',
        haStatus: gateway.status?.haStatus ?? '',
        ip: gateway.status?.localEndpoint.private_ip ?? '',
        node: gateway.status?.localEndpoint.hostname ?? gateway.metadata.name ?? '',
      })),
      installed: installed.submariner !== undefined,
      serviceCIDRs: network?.serviceCIDRs ?? [],
      ...(network?.globalCIDR ? {globalCIDR: network.globalCIDR} : {}),
    }
  })
}
