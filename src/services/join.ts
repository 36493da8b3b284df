/**
 * join (reference/subctl.md §4, DESIGN §2): connects the current cluster to the broker. Every check
 * that can fail comes before the first write: the broker-info file and flags offline, then the
 * cluster, the broker, the cluster ID, network discovery, the CIDR plan against the clusters
 * already on the broker, the gateway nodes and the Globalnet and clusterset-IP allocations. Then it
 * writes: gateway labels, allocations, the operator, the cluster's broker credentials, the local
 * Secrets and the Submariner (or ServiceDiscovery) CR, and waits for the components. The
 * decisions are lib/join-plan.ts, the objects manifests/join.ts, the allocations join-allocation.ts:
 * this file is the order of the steps.
 */
import {CLUSTERSET_IP_CONFIGMAP, DEFAULT_CLUSTERSET_IP_CLUSTER_SIZE, GATEWAY_LABEL, GLOBALNET_CONFIGMAP, OPERATOR_NAMESPACE, type Cluster} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {connectToBroker, openCluster} from '../k8s/connect.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import {discoverNetwork} from '../k8s/network-discovery.js'
import type {KubeObject, NodeObject, ConfigMap} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {CLUSTERSET_IP_KEYS, clusterSizeProblem, GLOBALNET_KEYS, parseAllocationConfig} from '../lib/allocation.js'
import {clientTokenValue, hasConnectivity, hasServiceDiscovery, pskString, type BrokerInfo} from '../lib/broker-info.js'
import {parseCidr} from '../lib/cidr.js'
import {clusterIdError, sanitizeClusterId} from '../lib/cluster-id.js'
import {SubctlError, usageError} from '../lib/errors.js'
import {checkCidrPlan, checkJoinFlags, checkUniqueClusterId, chooseGateways, type GatewayChoice, type NetworkPlan} from '../lib/join-plan.js'
import type {NetworkDetails} from '../lib/network-discovery.js'
import type {Reporter, StepReporter} from '../lib/reporter.js'
import {kubernetesRequirements} from '../lib/requirements.js'
import {brokerSecret, clusterRecord, pskSecret, serviceDiscoveryCr, submarinerCr, type JoinValues} from '../manifests/join.js'
import type {ProxySettings} from '../manifests/operator.js'
import {brokerClusterAccount} from '../manifests/rbac.js'
import {readBrokerInfoFile} from './broker-info-file.js'
import {waitForComponents} from './component-wait.js'
import {planAllocationOn, recordAllocation, type Allocation} from './join-allocation.js'
import {ensureOperator} from './operator-install.js'
import {ensureTokenSecret} from './sa-token.js'
import {Writer, type PlannedObject} from './writer.js'

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
  /** Undefined: as the broker says. */
  enableClustersetIP?: boolean | undefined
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

async function chooseGatewayNodes(client: KubeClient, options: JoinOptions, interactive: boolean, step: StepReporter): Promise<GatewayChoice> {
  const nodes = (await client.list<NodeObject>(Resources.Node)).items
  const choice = chooseGateways(
    nodes.map((node) => ({labels: node.metadata.labels ?? {}, name: node.metadata.name as string})),
    options,
    interactive,
  )
  if (choice.warning) step.warning(choice.warning)
  if (options.gatewayNodes.length === 0 && choice.existing.length > 0) {
    step.detail(`   There are ${choice.existing.length} node(s) labeled as gateways:`)
    for (const name of choice.existing) step.detail(`    - ${name}`)
  }

  return choice
}

export async function join(options: JoinOptions, reporter: Reporter, prompts?: JoinPrompts): Promise<JoinResult> {
  const offline = checkJoinFlags(options)
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
    checkUniqueClusterId(clusterId, onBroker.find((record) => record.metadata.name === clusterId), localCluster !== undefined, kubeSystem.metadata.uid)

    const discovered = await reporter.step('Discovering network details', (step) => discoverAndReport(client, step))
    const network = await planNetwork(discovered, options, prompts, reporter)

    const globalnetConfig = await brokerClient.tryGet<ConfigMap>(Resources.ConfigMap, GLOBALNET_CONFIGMAP, brokerNamespace)
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

        const allocation = await planAllocationOn(brokerClient, brokerNamespace, GLOBALNET_CONFIGMAP, GLOBALNET_KEYS, {
          clusterId,
          requested: options.globalnetCIDR,
          size: options.globalnetClusterSize,
        })
        if ('warning' in allocation.outcome) step.warning(allocation.outcome.message)
        else step.success(allocation.outcome.message)
        return allocation
      })
    }

    let clustersetIP: Allocation | undefined
    let clustersetIPEnabled = options.enableClustersetIP ?? false
    if (serviceDiscovery) {
      clustersetIP = await reporter.step('Retrieving ClustersetIP information from the Broker', async (step) => {
        const allocation = await planAllocationOn(brokerClient, brokerNamespace, CLUSTERSET_IP_CONFIGMAP, CLUSTERSET_IP_KEYS, {
          clusterId,
          requested: options.clustersetIPCIDR,
          size: options.clustersetIPCIDR ? undefined : DEFAULT_CLUSTERSET_IP_CLUSTER_SIZE,
        })
        clustersetIPEnabled = options.enableClustersetIP ?? parseAllocationConfig(allocation.configMap.data, CLUSTERSET_IP_KEYS).enabled
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
      if (allocation) allocation.outcome = await reporter.step(`Assigning ${allocation.keys.title} IPs`, (step) => recordAllocation(writer, brokerClient, allocation, step))
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
    const values: JoinValues = {
      airGapped: options.airGapped,
      broker: {insecure: !options.checkBrokerCertificate, namespace: brokerNamespace, tokenData: token.data ?? {}, url: brokerURL},
      cableDriver: options.cableDriver,
      clusterId,
      clustersetIPCIDR: clustersetIP?.outcome.cidr,
      clustersetIPEnabled,
      coreDNS: offline.coreDNS,
      customDomains: options.customDomains ?? info.customDomains ?? undefined,
      forceUdpEncaps: options.forceUdpEncaps,
      globalCIDR: globalnet?.outcome.cidr,
      healthCheck: {enabled: options.healthCheck, intervalSeconds: options.healthCheckInterval, maxPacketLossCount: options.healthCheckMaxPacketLossCount},
      imageOverrides: offline.imageOverrides,
      ipsecDebug: options.ipsecDebug,
      kubeSystemUID: kubeSystem.metadata.uid as string,
      loadBalancer: options.loadBalancer,
      natt: options.natt,
      nattPort: options.nattPort,
      network,
      podDebug: options.podDebug,
      preferredServer: options.preferredServer,
      psk: {base64: info.ipsecPSK.data?.psk ?? '', string: pskString(info)},
      repository: options.repository,
      serviceDiscovery,
      version: options.version,
    }

    await reporter.step('Recording the cluster on the broker', () => writer.apply('broker', brokerClient, clusterRecord(values)))
    await reporter.step('Connecting to Broker', () => writer.apply(cluster, client, brokerSecret(values)))
    if (connectivity) {
      await reporter.step('Deploying submariner', async (step) => {
        await writer.apply(cluster, client, pskSecret(values))
        await writer.apply(cluster, client, submarinerCr(values))
        step.success('Submariner is up and running')
      })
    } else if (serviceDiscovery) {
      await reporter.step('Deploying service discovery only', async (step) => {
        await writer.apply(cluster, client, serviceDiscoveryCr(values))
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
