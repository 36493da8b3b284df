/**
 * join (reference/subctl.md §4, DESIGN §2): connects the current cluster to the broker. Every check
 * that can fail comes before the first write: the broker-info file and flags offline, then the
 * cluster, the broker, the cluster ID, network discovery, the CIDR plan against the clusters
 * already on the broker, the gateway nodes and the Globalnet and clusterset-IP allocations. Then it
 * writes: gateway labels, allocations, the operator, the cluster's broker credentials, the local
 * Secrets and the Submariner (or ServiceDiscovery) CR, and waits for the components.
 */
import {
  BROKER_SECRET,
  CABLE_DRIVERS,
  CLUSTER_ID_LABEL,
  CLUSTERSET_IP_CONFIGMAP,
  DEFAULT_CLUSTERSET_IP_CLUSTER_SIZE,
  GATEWAY_LABEL,
  GLOBALNET_CONFIGMAP,
  IPSEC_PSK_SECRET,
  OPERATOR_NAMESPACE,
  SERVICE_DISCOVERY_CR,
  SUBMARINER_CR,
  type Cluster,
  type ServiceDiscovery,
  type Submariner,
  type SubmarinerSpec,
} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {connectToBroker, openCluster} from '../k8s/connect.js'
import {isConflict} from '../k8s/errors.js'
import {retryOnConflict} from '../k8s/retry.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {discoverNetwork} from '../k8s/network-discovery.js'
import type {NetworkDetails} from '../lib/network-discovery.js'
import type {KubeObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {
  CLUSTERSET_IP_KEYS,
  clusterSizeProblem,
  formatClusterInfo,
  GLOBALNET_KEYS,
  parseAllocationConfig,
  planAllocation,
  withAllocation,
  type AllocationKeys,
  type AllocationOutcome,
} from '../lib/allocation.js'
import {clientTokenValue, hasConnectivity, hasServiceDiscovery, pskString, type BrokerInfo} from '../lib/broker-info.js'
import {overlaps, parseCidr} from '../lib/cidr.js'
import {clusterIdError, sanitizeClusterId} from '../lib/cluster-id.js'
import {SubctlError, usageError} from '../lib/errors.js'
import {parseImageOverrides} from '../lib/images.js'
import type {Reporter, StepReporter} from '../lib/reporter.js'
import {kubernetesRequirements} from '../lib/requirements.js'
import type {ProxySettings} from '../manifests/operator.js'
import {brokerClusterAccount} from '../manifests/rbac.js'
import {readBrokerInfoFile} from './broker-info-file.js'
import {waitForComponents} from './component-wait.js'
import {ensureOperator} from './operator-install.js'
import {ensureTokenSecret} from './sa-token.js'
import {Writer, type PlannedObject} from './writer.js'

/** Set by join on the cluster's record on the broker: identifies the joining cluster across re-joins. */
export const KUBE_SYSTEM_UID_ANNOTATION = 'submariner.io/kube-system-uid'

export interface JoinOptions {
  brokerInfoFile: string
  connection: KubeConnectionOptions
  clusterId?: string | undefined
  clusterCIDR?: string | undefined
  serviceCIDR?: string | undefined
  repository?: string | undefined
  version?: string | undefined
  nattPort: number
  natt: boolean
  preferredServer: boolean
  forceUdpEncaps: boolean
  ipsecDebug: boolean
  podDebug: boolean
  operatorDebug: boolean
  airGapped: boolean
  loadBalancer: boolean
  labelGateway: boolean
  gatewayNodes: string[]
  cableDriver: string
  globalnet: boolean
  globalnetClusterSize: number
  globalnetCIDR?: string | undefined
  customDomains?: string[] | undefined
  healthCheck: boolean
  healthCheckInterval: number
  healthCheckMaxPacketLossCount: number
  corednsCustomConfigMap?: string | undefined
  ignoreRequirements: boolean
  checkBrokerCertificate: boolean
  brokerURL?: string | undefined
  enableClustersetIP: boolean
  clustersetIPCIDR?: string | undefined
  imageOverrides: string[]
  proxy: ProxySettings
  dryRun: boolean
  wait: boolean
  timeoutMs: number
}

/** Questions join may ask; the CLI provides them only on a terminal. */
export interface JoinPrompts {
  clusterId(problem: string): Promise<string>
  cidr(kind: 'Pod' | 'Service'): Promise<string>
  gatewayNode(candidates: string[]): Promise<string>
}

export interface JoinResult {
  clusterId: string
  brokerURL: string
  clusterCIDR: string
  serviceCIDR: string
  globalCIDR?: string
  clustersetIPCIDR?: string
  gatewayNodes: string[]
  planned: PlannedObject[]
}

interface NodeObject extends KubeObject {
  metadata: KubeObject['metadata'] & {labels?: Record<string, string>}
}

/** The checks that need nothing but the flags and the file. */
function validateOffline(options: JoinOptions): {imageOverrides: Record<string, string>; coreDNS?: {configMapName: string; namespace?: string}} {
  if (!(CABLE_DRIVERS as readonly string[]).includes(options.cableDriver)) {
    throw usageError('INVALID_CABLE_DRIVER', `Unknown cable driver "${options.cableDriver}"`, `Pass --cable-driver ${CABLE_DRIVERS.join(', ')}`)
  }

  const imageOverrides = parseImageOverrides(options.imageOverrides)
  for (const [flag, value] of [
    ['--clustercidr', options.clusterCIDR],
    ['--servicecidr', options.serviceCIDR],
    ['--globalnet-cidr', options.globalnetCIDR],
    ['--clusterset-ip-cidr', options.clustersetIPCIDR],
  ] as const) {
    if (value !== undefined && !parseCidr(value)) throw usageError('INVALID_CIDR', `${flag} "${value}" is not a valid CIDR`, 'Use a.b.c.d/n, e.g. 10.8.0.0/16')
  }

  if (options.globalnetCIDR && options.globalnetClusterSize > 0) {
    throw usageError('GLOBALNET_FLAGS', 'Only one of cluster size and global CIDR can be specified', 'Pass --globalnet-cidr or --globalnet-cluster-size, not both')
  }

  if (!Number.isInteger(options.nattPort) || options.nattPort < 1 || options.nattPort > 65_535) {
    throw usageError('INVALID_PORT', `--nattport ${options.nattPort} is not a port number`, 'Pass a port between 1 and 65535')
  }

  if (options.healthCheckInterval < 1 || options.healthCheckMaxPacketLossCount < 1) {
    throw usageError('INVALID_HEALTH_CHECK', '--health-check-interval and --health-check-max-packet-loss-count must be at least 1', 'Pass positive values')
  }

  if (options.brokerURL !== undefined && !/^https:\/\/[^/]+/.test(options.brokerURL)) {
    throw usageError('INVALID_BROKER_URL', `--broker-url "${options.brokerURL}" is not an https URL`, 'Pass the broker API URL, e.g. https://192.168.1.10:6443')
  }

  let coreDNS: {configMapName: string; namespace?: string} | undefined
  if (options.corednsCustomConfigMap) {
    const parts = options.corednsCustomConfigMap.split('/')
    if (parts.length > 2 || parts.some((part) => part === '')) {
      throw usageError('INVALID_COREDNS_CONFIGMAP', 'coredns-custom-configmap should be in <namespace>/<name> format, namespace is optional', 'Pass NAME or NAMESPACE/NAME')
    }

    coreDNS = parts.length === 2 ? {configMapName: parts[1] as string, namespace: parts[0] as string} : {configMapName: parts[0] as string}
  }

  return coreDNS ? {coreDNS, imageOverrides} : {imageOverrides}
}

async function resolveClusterId(options: JoinOptions, clusterName: string, prompts: JoinPrompts | undefined, reporter: Reporter): Promise<string> {
  let id = options.clusterId ?? sanitizeClusterId(clusterName)
  for (let problem = clusterIdError(id); problem !== undefined; problem = clusterIdError(id)) {
    if (!prompts) {
      throw usageError('INVALID_CLUSTER_ID', `Invalid cluster ID: ${problem}`, 'Pass a valid --clusterid: lower-case letters, digits and "-", at most 63 characters')
    }

    reporter.failure(`Invalid cluster ID: ${problem}`)
    id = (await prompts.clusterId(problem)).trim()
  }

  return id
}

function serverFromURL(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '')
}

interface NetworkPlan {
  clusterCIDR: string
  serviceCIDR: string
  plugin: string
}

async function discoverAndReport(client: KubeClient, step: StepReporter): Promise<NetworkDetails | undefined> {
  const discovered = await discoverNetwork(client)
  if (!discovered) step.warning('No network details discovered')
  else {
    step.detail(`        Network plugin:  ${discovered.networkPlugin}`)
    step.detail(`        Service CIDRs:   [${discovered.serviceCIDRs.join(' ')}]`)
    step.detail(`        Cluster CIDRs:   [${discovered.podCIDRs.join(' ')}]`)
  }

  return discovered
}

/** The flags win (with a warning when they differ from what was found); prompts fill gaps on a terminal. */
async function planNetwork(discovered: NetworkDetails | undefined, options: JoinOptions, prompts: JoinPrompts | undefined, reporter: Reporter): Promise<NetworkPlan> {
  const choose = async (kind: 'Pod' | 'Service', flag: string | undefined, found: string[] | undefined, flagName: string) => {
    const first = found?.[0]
    if (flag) {
      if (first && flag !== first) reporter.warning(`The provided ${kind.toLowerCase()} CIDR for the cluster (${flag}) does not match the discovered CIDR (${first})`)
      return flag
    }

    if (first) return found.join(',')
    if (!prompts) {
      throw usageError('CIDR_UNKNOWN', `Could not discover the ${kind.toLowerCase()} CIDR of the cluster`, `Pass it with ${flagName}`)
    }

    const answer = (await prompts.cidr(kind)).trim()
    if (!parseCidr(answer)) throw usageError('INVALID_CIDR', `"${answer}" is not a valid CIDR`, 'Use a.b.c.d/n')
    return answer
  }

  return {
    clusterCIDR: await choose('Pod', options.clusterCIDR, discovered?.podCIDRs, '--clustercidr'),
    plugin: discovered?.networkPlugin ?? 'generic',
    serviceCIDR: await choose('Service', options.serviceCIDR, discovered?.serviceCIDRs, '--servicecidr'),
  }
}

/** DESIGN §2: overlapping CIDRs are reported, with the fix, before anything is written. */
function checkCidrPlan(clusterId: string, network: NetworkPlan, others: Cluster[], globalnet: boolean): void {
  if (globalnet) return
  const mine: Array<[string, string]> = [
    ...network.clusterCIDR.split(',').map((cidr) => ['cluster', cidr] as [string, string]),
    ...network.serviceCIDR.split(',').map((cidr) => ['service', cidr] as [string, string]),
  ]
  for (const other of others) {
    if (other.spec.cluster_id === clusterId) continue
    const theirs: Array<[string, string]> = [
      ...(other.spec.cluster_cidr ?? []).map((cidr) => ['cluster', cidr] as [string, string]),
      ...(other.spec.service_cidr ?? []).map((cidr) => ['service', cidr] as [string, string]),
    ]
    for (const [myKind, myCidr] of mine) {
      for (const [theirKind, theirCidr] of theirs) {
        const a = parseCidr(myCidr)
        const b = parseCidr(theirCidr)
        if (a && b && overlaps(a, b)) {
          throw new SubctlError(
            'CIDR_OVERLAP',
            `The ${myKind} CIDR ${myCidr} of cluster "${clusterId}" overlaps the ${theirKind} CIDR ${theirCidr} of cluster "${other.spec.cluster_id}", already on the broker`,
            {hint: 'Clusters with overlapping CIDRs need Globalnet: deploy the broker with "subctl deploy-broker --globalnet" and join again'},
          )
        }
      }
    }
  }
}

interface GatewayChoice {
  existing: string[]
  toLabel: string[]
  /** Several candidates and no flag: the question to ask, once the step is over. */
  ask?: string[]
}

async function chooseGatewayNodes(client: KubeClient, options: JoinOptions, interactive: boolean, step: StepReporter): Promise<GatewayChoice> {
  const nodes = (await client.list<NodeObject>(Resources.Node)).items
  const labelled = nodes.filter((node) => node.metadata.labels?.[GATEWAY_LABEL] === 'true').map((node) => node.metadata.name as string)
  if (options.gatewayNodes.length > 0) {
    for (const name of options.gatewayNodes) {
      if (!nodes.some((node) => node.metadata.name === name)) {
        throw usageError('GATEWAY_NODE_NOT_FOUND', `--gateway-nodes names "${name}", which is not a node of this cluster`, `Nodes: ${nodes.map((node) => node.metadata.name).join(', ')}`)
      }
    }

    return {existing: labelled, toLabel: options.gatewayNodes.filter((name) => !labelled.includes(name))}
  }

  if (labelled.length > 0) {
    step.detail(`   There are ${labelled.length} node(s) labeled as gateways:`)
    for (const name of labelled) step.detail(`    - ${name}`)
    return {existing: labelled, toLabel: []}
  }

  if (!options.labelGateway) return {existing: [], toLabel: []}
  let workers = nodes.filter((node) => node.metadata.labels && 'node-role.kubernetes.io/worker' in node.metadata.labels)
  if (workers.length === 0) workers = nodes.filter((node) => !(node.metadata.labels && 'node-role.kubernetes.io/master' in node.metadata.labels))
  const names = workers.map((node) => node.metadata.name as string).sort()
  if (names.length === 0) {
    step.warning('No worker node available to label as the gateway')
    return {existing: [], toLabel: []}
  }

  if (names.length === 1) return {existing: [], toLabel: names}
  if (!interactive) {
    throw usageError(
      'GATEWAY_NODE_REQUIRED',
      `No node is labeled ${GATEWAY_LABEL}=true and ${names.length} could be the gateway (${names.join(', ')}); without a terminal subctl cannot ask which`,
      `Pass --gateway-nodes NAME (or label one: kubectl label node NAME ${GATEWAY_LABEL}=true)`,
    )
  }

  return {ask: names, existing: [], toLabel: []}
}

interface Allocation {
  keys: AllocationKeys
  configMap: KubeObject & {data?: Record<string, string>}
  outcome: AllocationOutcome
}

async function planAllocationOn(
  broker: KubeClient,
  namespace: string,
  name: string,
  keys: AllocationKeys,
  clusterId: string,
  requested: string | undefined,
  size: number | undefined,
): Promise<Allocation> {
  const configMap = await broker.tryGet<KubeObject & {data?: Record<string, string>}>(Resources.ConfigMap, name, namespace)
  if (!configMap) {
    throw new SubctlError('BROKER_CONFIGMAP_MISSING', `The ${keys.title} ConfigMap ${namespace}/${name} is missing on the broker`, {
      hint: 'Re-run "subctl deploy-broker" on the broker cluster',
    })
  }

  const config = parseAllocationConfig(configMap.data, keys)
  try {
    return {configMap, keys, outcome: planAllocation({clusterId, config, requested, size, title: keys.title})}
  } catch (error) {
    throw usageError('ALLOCATION_FAILED', `unable to determine the ${keys.title === 'Globalnet' ? 'global' : 'clusterset IP'} CIDR: ${(error as Error).message}`, 'Pick another CIDR, or none to let subctl allocate one')
  }
}

/** Records the allocation on the broker: read-modify-write, retried on conflicts. */
async function recordAllocation(writer: Writer, broker: KubeClient, allocation: Allocation, clusterId: string, step: StepReporter): Promise<void> {
  let configMap = allocation.configMap
  try {
    await retryOnConflict(
      async (attempt) => {
        if (attempt > 1) configMap = await broker.get(Resources.ConfigMap, configMap.metadata.name as string, configMap.metadata.namespace)
        const config = parseAllocationConfig(configMap.data, allocation.keys)
        const clusters = withAllocation(config.clusters, clusterId, allocation.outcome.cidr)
        if (formatClusterInfo(clusters) === configMap.data?.clusterinfo) return
        await writer.update('broker', broker, {...configMap, data: {...configMap.data, clusterinfo: formatClusterInfo(clusters)}})
        step.success(`Updated the ${allocation.keys.title} information on the Broker`)
      },
      {attempts: 10, onConflict: () => step.warning(`Conflict occurred updating the ${allocation.keys.title} ConfigMap - retrying`)},
    )
  } catch (error) {
    if (!isConflict(error)) throw error
    throw new SubctlError(
      'ALLOCATION_CONFLICT',
      `Could not record ${clusterId}'s ${allocation.keys.title} allocation on the broker: the ConfigMap ${configMap.metadata.name} kept changing under 10 attempts`,
      {cause: error, hint: 'Other clusters are joining at the same time: run subctl join again'},
    )
  }
}

/** A unique cluster ID: a broker record of this ID must be this cluster's own. */
function checkUnique(clusterId: string, record: Cluster | undefined, localCluster: KubeObject | undefined, kubeSystemUID: string | undefined): void {
  if (!record) return
  const owner = record.metadata.annotations?.[KUBE_SYSTEM_UID_ANNOTATION]
  const same = owner ? owner === kubeSystemUID : localCluster !== undefined
  if (!same) {
    throw usageError(
      'CLUSTER_ID_NOT_UNIQUE',
      `Detected an existing joined cluster with the same ID "${clusterId}" on the broker. Cluster IDs must be unique across all clusters`,
      'Pass another --clusterid',
    )
  }
}

export async function join(options: JoinOptions, reporter: Reporter, prompts?: JoinPrompts): Promise<JoinResult> {
  const offline = validateOffline(options)
  const info: BrokerInfo = await readBrokerInfoFile(options.brokerInfoFile)
  const brokerURL = options.brokerURL ?? info.brokerURL
  const connectivity = hasConnectivity(info)
  const serviceDiscovery = hasServiceDiscovery(info)
  const {client, target} = await openCluster(options.connection)
  const writer = new Writer(options.dryRun)
  let broker: KubeClient | undefined
  try {
    reporter.success(`${options.brokerInfoFile} indicates broker is at ${brokerURL}`)
    const clusterId = await resolveClusterId(options, target.clusterName, prompts, reporter)
    const cluster = clusterId

    await reporter.step('Checking the Kubernetes version', async (step) => {
      const problems = kubernetesRequirements(await client.serverVersion(), {connectivity, serviceDiscovery: info.serviceDiscovery})
      if (problems.length === 0) return
      if (options.ignoreRequirements) {
        for (const problem of problems) step.warning(problem)
        return
      }

      throw new SubctlError('VERSION_REQUIREMENTS', `The target cluster fails to meet Submariner's version requirements: ${problems.join('; ')}`, {
        hint: 'Upgrade the cluster, or pass --ignore-requirements to proceed anyway',
      })
    })

    const brokerNamespace = clientTokenValue(info, 'namespace')
    broker = await reporter.step('Gathering relevant information from Broker', () =>
      connectToBroker({ca: clientTokenValue(info, 'ca.crt'), insecure: !options.checkBrokerCertificate, namespace: brokerNamespace, token: clientTokenValue(info, 'token'), url: brokerURL}),
    )
    const brokerClient = broker

    const kubeSystem = await client.get<KubeObject>(Resources.Namespace, 'kube-system')
    const onBroker = await brokerClient.tryList<Cluster>(Resources.Cluster, {namespace: brokerNamespace})
    const localCluster = await client.tryGet<KubeObject>(Resources.Cluster, clusterId, OPERATOR_NAMESPACE)
    checkUnique(clusterId, onBroker.find((record) => record.metadata.name === clusterId), localCluster, kubeSystem.metadata.uid)

    const discovered = await reporter.step('Discovering network details', (step) => discoverAndReport(client, step))
    const network = await planNetwork(discovered, options, prompts, reporter)

    const globalnetConfig = await brokerClient.tryGet<KubeObject & {data?: Record<string, string>}>(Resources.ConfigMap, GLOBALNET_CONFIGMAP, brokerNamespace)
    const brokerGlobalnet = parseAllocationConfig(globalnetConfig?.data, GLOBALNET_KEYS).enabled
    await reporter.step('Checking the CIDR plan against the clusters on the broker', async (step) => {
      checkCidrPlan(clusterId, network, onBroker, brokerGlobalnet && options.globalnet)
      const count = onBroker.filter((record) => record.spec.cluster_id !== clusterId).length
      step.success(count === 0 ? 'No other cluster is on the broker yet' : `No overlap with the ${count} other cluster(s) on the broker`)
    })

    const gateways: GatewayChoice = connectivity
      ? await reporter.step('Retrieving the gateway nodes', (step) => chooseGatewayNodes(client, options, prompts !== undefined, step))
      : {existing: [], toLabel: []}
    if (gateways.ask && prompts) gateways.toLabel = [await prompts.gatewayNode(gateways.ask)]

    let globalnet: Allocation | undefined
    if (connectivity && options.globalnet) {
      globalnet = await reporter.step('Retrieving Globalnet information from the Broker', async (step) => {
        if (!brokerGlobalnet) {
          if (options.globalnetCIDR) step.warning('Globalnet is not enabled on the Broker - ignoring the specified global CIDR')
          else if (options.globalnetClusterSize > 0) step.warning('Globalnet is not enabled on the Broker - ignoring the specified cluster size')
          return undefined
        }

        const range = parseAllocationConfig(globalnetConfig?.data, GLOBALNET_KEYS).range
        if (options.globalnetClusterSize > 0) {
          const problem = clusterSizeProblem(options.globalnetClusterSize, range)
          if (problem) throw usageError('INVALID_GLOBALNET_CIDR', `invalid GlobalCIDR configuration: ${problem}`, 'Pass a smaller --globalnet-cluster-size')
        }

        const allocation = await planAllocationOn(brokerClient, brokerNamespace, GLOBALNET_CONFIGMAP, GLOBALNET_KEYS, clusterId, options.globalnetCIDR, options.globalnetClusterSize)
        if ('warning' in allocation.outcome) step.warning(allocation.outcome.message)
        else step.success(allocation.outcome.message)
        return allocation
      })
    }

    let clustersetIP: Allocation | undefined
    let clustersetIPEnabled = options.enableClustersetIP
    if (serviceDiscovery) {
      clustersetIP = await reporter.step('Retrieving ClustersetIP information from the Broker', async (step) => {
        const allocation = await planAllocationOn(
          brokerClient,
          brokerNamespace,
          CLUSTERSET_IP_CONFIGMAP,
          CLUSTERSET_IP_KEYS,
          clusterId,
          options.clustersetIPCIDR,
          options.clustersetIPCIDR ? undefined : DEFAULT_CLUSTERSET_IP_CLUSTER_SIZE,
        )
        clustersetIPEnabled ||= parseAllocationConfig(allocation.configMap.data, CLUSTERSET_IP_KEYS).enabled
        if ('warning' in allocation.outcome) step.warning(allocation.outcome.message)
        else step.success(allocation.outcome.message)
        return allocation
      })
    }

    // ---- Everything below writes (or, with --dry-run, records what it would write). ----
    if (gateways.toLabel.length > 0) {
      await reporter.step('Labeling the gateway nodes', async (step) => {
        for (const name of gateways.toLabel) {
          writer.planned.push({cluster, object: {apiVersion: 'v1', kind: 'Node', metadata: {labels: {[GATEWAY_LABEL]: 'true'}, name}}})
          if (!writer.dryRun) await client.mergePatch(Resources.Node, name, undefined, {metadata: {labels: {[GATEWAY_LABEL]: 'true'}}})
          step.success(`Labeled node "${name}" as a gateway`)
        }
      })
    }

    for (const allocation of [globalnet, clustersetIP]) {
      if (allocation) await reporter.step(`Assigning ${allocation.keys.title} IPs`, (step) => recordAllocation(writer, brokerClient, allocation, clusterId, step))
    }

    await reporter.step('Deploying the Submariner operator', (step) =>
      ensureOperator(cluster, client, writer, step, {
        debug: options.operatorDebug,
        images: {overrides: offline.imageOverrides, repository: options.repository, version: options.version},
        proxy: options.proxy,
        timeoutMs: options.timeoutMs,
      }),
    )

    const token = await reporter.step('Creating SA for cluster', async () => {
      for (const object of brokerClusterAccount(clusterId, brokerNamespace)) await writer.ensure('broker', brokerClient, object)
      return ensureTokenSecret('broker', brokerClient, writer, brokerNamespace, `cluster-${clusterId}`, options.timeoutMs)
    })
    const tokenValue = (key: string) => (token.data?.[key] ? Buffer.from(token.data[key] as string, 'base64').toString('utf8') : '')

    await reporter.step('Recording the cluster on the broker', async () => {
      const record: Cluster = {
        apiVersion: 'submariner.io/v1',
        kind: 'Cluster',
        metadata: {
          annotations: {[KUBE_SYSTEM_UID_ANNOTATION]: kubeSystem.metadata.uid as string},
          labels: {[CLUSTER_ID_LABEL]: clusterId},
          name: clusterId,
          namespace: brokerNamespace,
        },
        spec: {
          cluster_cidr: network.clusterCIDR.split(','),
          cluster_id: clusterId,
          color_codes: ['blue'],
          global_cidr: globalnet ? [globalnet.outcome.cidr] : [],
          service_cidr: network.serviceCIDR.split(','),
        },
      }
      await writer.apply('broker', brokerClient, record)
    })

    await reporter.step('Connecting to Broker', async () => {
      await writer.apply(cluster, client, {
        apiVersion: 'v1',
        data: {'ca.crt': token.data?.['ca.crt'] ?? '', namespace: token.data?.namespace ?? '', token: token.data?.token ?? ''},
        kind: 'Secret',
        metadata: {name: BROKER_SECRET, namespace: OPERATOR_NAMESPACE},
        type: 'Opaque',
      })
    })

    const brokerFields = {
      brokerK8sApiServer: serverFromURL(brokerURL),
      brokerK8sApiServerToken: tokenValue('token'),
      brokerK8sCA: token.data?.['ca.crt'] ?? '',
      brokerK8sInsecure: !options.checkBrokerCertificate,
      brokerK8sRemoteNamespace: brokerNamespace,
      brokerK8sSecret: BROKER_SECRET,
    }
    const customDomains = options.customDomains ?? info.customDomains ?? undefined

    if (connectivity) {
      const spec: SubmarinerSpec = {
        ...brokerFields,
        airGappedDeployment: options.airGapped,
        broker: 'k8s',
        cableDriver: options.cableDriver,
        ceIPSecDebug: options.ipsecDebug,
        ceIPSecForceUDPEncaps: options.forceUdpEncaps,
        ceIPSecNATTPort: options.nattPort,
        ceIPSecPSK: pskString(info),
        ceIPSecPSKSecret: IPSEC_PSK_SECRET,
        ceIPSecPreferredServer: options.preferredServer,
        clusterCIDR: network.clusterCIDR,
        clusterID: clusterId,
        clustersetIPEnabled,
        connectionHealthCheck: {enabled: options.healthCheck, intervalSeconds: options.healthCheckInterval, maxPacketLossCount: options.healthCheckMaxPacketLossCount},
        debug: options.podDebug,
        imageOverrides: offline.imageOverrides,
        loadBalancerEnabled: options.loadBalancer,
        namespace: OPERATOR_NAMESPACE,
        natEnabled: options.natt,
        repository: options.repository || undefined,
        serviceCIDR: network.serviceCIDR,
        serviceDiscoveryEnabled: serviceDiscovery,
        version: options.version || undefined,
        ...(clustersetIP ? {clustersetIPCIDR: clustersetIP.outcome.cidr} : {}),
        ...(globalnet ? {globalCIDR: globalnet.outcome.cidr} : {}),
        ...(offline.coreDNS ? {coreDNSCustomConfig: offline.coreDNS} : {}),
        ...(customDomains && customDomains.length > 0 ? {customDomains} : {}),
      }
      await reporter.step('Deploying submariner', async (step) => {
        await writer.apply(cluster, client, {
          apiVersion: 'v1',
          data: {psk: info.ipsecPSK.data?.psk ?? ''},
          kind: 'Secret',
          metadata: {name: IPSEC_PSK_SECRET, namespace: OPERATOR_NAMESPACE},
          type: 'Opaque',
        })
        await writer.apply<Submariner>(cluster, client, {apiVersion: 'submariner.io/v1alpha1', kind: 'Submariner', metadata: {name: SUBMARINER_CR, namespace: OPERATOR_NAMESPACE}, spec})
        step.success('Submariner is up and running')
      })
    } else if (serviceDiscovery) {
      await reporter.step('Deploying service discovery only', async (step) => {
        await writer.apply<ServiceDiscovery>(cluster, client, {
          apiVersion: 'submariner.io/v1alpha1',
          kind: 'ServiceDiscovery',
          metadata: {name: SERVICE_DISCOVERY_CR, namespace: OPERATOR_NAMESPACE},
          spec: {
            ...brokerFields,
            clusterID: clusterId,
            clustersetIPEnabled,
            debug: options.podDebug,
            imageOverrides: offline.imageOverrides,
            namespace: OPERATOR_NAMESPACE,
            repository: options.repository ?? '',
            version: options.version ?? '',
            ...(clustersetIP ? {clustersetIPCIDR: clustersetIP.outcome.cidr} : {}),
            ...(offline.coreDNS ? {coreDNSCustomConfig: offline.coreDNS} : {}),
            ...(customDomains && customDomains.length > 0 ? {customDomains} : {}),
          },
        })
        step.success('Service discovery is up and running')
      })
    }

    if (options.wait && !options.dryRun && (connectivity || serviceDiscovery)) {
      await waitForComponents(client, connectivity, serviceDiscovery, options.timeoutMs, reporter)
    }

    return {
      brokerURL,
      clusterCIDR: network.clusterCIDR,
      clusterId,
      gatewayNodes: [...gateways.existing, ...gateways.toLabel],
      planned: writer.planned,
      serviceCIDR: network.serviceCIDR,
      ...(globalnet ? {globalCIDR: globalnet.outcome.cidr} : {}),
      ...(clustersetIP ? {clustersetIPCIDR: clustersetIP.outcome.cidr} : {}),
    }
  } finally {
    client.close()
    broker?.close()
  }
}
