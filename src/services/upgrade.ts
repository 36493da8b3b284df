/**
 * `subctl upgrade` (reference/subctl.md §12.1): on every context (or --context/--contexts), read
 * what is deployed and report it against the target version; then re-apply this version's CRDs
 * and operator, move the Submariner and ServiceDiscovery CRs to the target and wait until every
 * component has rolled out with it. A broker in submariner-k8s-broker gets its CRDs, RBAC and
 * operator again with its existing spec. Self-update is npm's (lib/upgrade-plan.ts).
 */
import {
  BROKER_CR,
  BROKER_NAMESPACE,
  OPERATOR_NAMESPACE,
  SERVICE_DISCOVERY_CR,
  SUBMARINER_CR,
  type Broker,
  type ServiceDiscovery,
  type Submariner,
} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import type {KubeObject} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'
import {waitForObject} from '../k8s/wait.js'
import type {Reporter} from '../lib/reporter.js'
import {splitImage} from '../lib/show.js'
import {type ClusterSkew, type ClusterState, needsUpgrade, skewReport} from '../lib/upgrade-plan.js'
import {DEFAULT_IMAGE_VERSION} from '../lib/version.js'
import {brokerCr, brokerNamespace} from '../manifests/broker.js'
import {brokerCrds} from '../manifests/crds.js'
import type {ProxySettings} from '../manifests/operator.js'
import {brokerRbac, OPERATOR} from '../manifests/rbac.js'
import {waitForComponents} from './component-wait.js'
import {ensureOperator} from './operator-install.js'
import {onEachCluster, WORKLOADS, type Workload} from './show.js'
import {Writer} from './writer.js'

export interface UpgradeOptions {
  connection: KubeConnectionOptions & {contexts?: string[]}
  target: string
  dryRun: boolean
  timeoutMs: number
}

export interface ClusterUpgrade {
  cluster: string
  /** What was (or, with --dry-run, would be) applied. */
  applied: Array<{kind: string; name: string; namespace?: string}>
  error?: unknown
}

export interface UpgradeResult {
  skew: Array<ClusterSkew | {cluster: string; error: unknown}>
  upgrades: ClusterUpgrade[]
  planned: Writer['planned']
}

type Deployment = Workload & {spec: {template: {spec: {containers: Array<{image: string; env?: Array<{name: string; value?: string}>}>}}}}

/** What upgrade reads of a cluster: the plan's view, and the objects it takes settings from. */
type DeployedState = ClusterState & {brokerCr?: Broker; submarinerCr?: Submariner; serviceDiscoveryCr?: ServiceDiscovery; operatorDeployment?: Deployment}

async function readState(client: KubeClient, cluster: string): Promise<DeployedState> {
  const [brokerObject, operatorDeployment, submarinerCr, serviceDiscoveryCr] = await Promise.all([
    client.tryGet<Broker>(Resources.Broker, BROKER_CR, BROKER_NAMESPACE),
    client.tryGet<Deployment>(Resources.Deployment, OPERATOR, OPERATOR_NAMESPACE),
    client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE),
    client.tryGet<ServiceDiscovery>(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, OPERATOR_NAMESPACE),
  ])
  const workloads = await Promise.all(WORKLOADS.map(async ([name, type]) => [name, await client.tryGet<Workload>(type, name, OPERATOR_NAMESPACE)] as const))
  return {
    broker: brokerObject !== undefined,
    cluster,
    components: workloads.flatMap(([component, workload]) =>
      workload ? [{component, version: splitImage(workload.spec.template.spec.containers[0]?.image ?? '', DEFAULT_IMAGE_VERSION).tag}] : [],
    ),
    operator: operatorDeployment !== undefined,
    ...(brokerObject ? {brokerCr: brokerObject} : {}),
    ...(operatorDeployment ? {operatorDeployment} : {}),
    ...(submarinerCr ? {submariner: {version: submarinerCr.spec.version}, submarinerCr} : {}),
    ...(serviceDiscoveryCr ? {serviceDiscovery: {version: serviceDiscoveryCr.spec.version}, serviceDiscoveryCr} : {}),
  }
}

/** HTTP_PROXY, HTTPS_PROXY and NO_PROXY as the running operator has them, so that upgrading keeps them. */
function proxyOf(deployment: Deployment | undefined): ProxySettings {
  const env = deployment?.spec.template.spec.containers[0]?.env ?? []
  const value = (name: string) => env.find((entry) => entry.name === name)?.value
  return {httpProxy: value('HTTP_PROXY'), httpsProxy: value('HTTPS_PROXY'), noProxy: value('NO_PROXY')}
}

/** Every deployed component runs the target's image and has rolled out. */
async function waitForRollout(client: KubeClient, target: string, timeoutMs: number): Promise<void> {
  type Rollout = Workload & {
    metadata: KubeObject['metadata']
    status?: {observedGeneration?: number; desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number}
  }
  const deadline = Date.now() + timeoutMs
  for (const [name, type] of WORKLOADS) {
    if (!(await client.tryGet(type, name, OPERATOR_NAMESPACE))) continue
    const tagOf = (workload: Rollout) => splitImage(workload.spec.template.spec.containers[0]?.image ?? '', DEFAULT_IMAGE_VERSION).tag
    await waitForObject<Rollout>(
      client,
      type,
      name,
      OPERATOR_NAMESPACE,
      (workload) => {
        if (!workload) return true // removed by the operator (e.g. Globalnet turned off): nothing to roll out
        const status = workload.status ?? {}
        if (tagOf(workload) !== target || (status.observedGeneration ?? 0) < (workload.metadata.generation ?? 0)) return false
        return type === Resources.DaemonSet
          ? status.updatedNumberScheduled === status.desiredNumberScheduled && status.numberAvailable === status.desiredNumberScheduled
          : status.updatedReplicas === status.replicas && status.availableReplicas === status.replicas
      },
      {
        description: `${name} to roll out version ${target}`,
        hint: `See kubectl -n ${OPERATOR_NAMESPACE} get pods; the operator moves each component to the version of the Submariner CR`,
        progress: (workload) => (workload ? `image tag ${tagOf(workload)}` : 'gone'),
        timeoutMs: Math.max(1000, deadline - Date.now()),
      },
    )
  }
}

async function upgradeCluster(client: KubeClient, state: DeployedState, options: UpgradeOptions, writer: Writer, reporter: Reporter): Promise<void> {
  const {cluster} = state
  const target = options.target
  const member = state.submarinerCr?.spec ?? state.serviceDiscoveryCr?.spec
  const operatorSettings = {
    debug: member?.debug ?? false,
    // A member keeps its repository and overrides; a broker alone uses the default repository, as upstream's does.
    images: {overrides: member?.imageOverrides, repository: member?.repository, version: target},
    proxy: proxyOf(state.operatorDeployment),
    timeoutMs: options.timeoutMs,
  }

  if (state.brokerCr) {
    const spec = state.brokerCr.spec
    await reporter.step(`Upgrading the Broker on "${cluster}" to ${target}`, async (step) => {
      await writer.apply(cluster, client, brokerNamespace(BROKER_NAMESPACE))
      for (const object of brokerRbac(BROKER_NAMESPACE)) await writer.apply(cluster, client, object)
      await ensureOperator(cluster, client, writer, step, operatorSettings)
      for (const crd of brokerCrds()) await writer.apply(cluster, client, crd)
      await writer.apply(cluster, client, brokerCr(BROKER_NAMESPACE, spec))
    })
  } else if (state.operator) {
    await reporter.step(`Upgrading the Operator on "${cluster}" to ${target}`, (step) => ensureOperator(cluster, client, writer, step, operatorSettings))
  }

  const crs: Array<[string, typeof Resources.Submariner, string, boolean]> = [
    ['the Connectivity component', Resources.Submariner, SUBMARINER_CR, state.submarinerCr !== undefined],
    ['Service Discovery', Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, state.serviceDiscoveryCr !== undefined],
  ]
  for (const [title, type, name, present] of crs) {
    if (!present) continue
    await reporter.step(`Upgrading ${title} on "${cluster}" to ${target}`, async () => {
      const patch = {spec: {version: target}}
      writer.planned.push({cluster, object: {apiVersion: `${type.group}/${type.version}`, kind: type.kind, metadata: {name, namespace: OPERATOR_NAMESPACE}, ...patch}})
      if (!writer.dryRun) await client.mergePatch(type, name, OPERATOR_NAMESPACE, patch)
    })
  }

  if (writer.dryRun || !member) return
  await reporter.step(`Waiting for the components on "${cluster}" to roll out ${target}`, async (step) => {
    await waitForRollout(client, target, options.timeoutMs)
    step.success(`Every component runs ${target}`)
  })
  await waitForComponents(client, state.submarinerCr !== undefined, state.serviceDiscoveryCr !== undefined, options.timeoutMs, reporter)
}

/** Reads every cluster for the skew report. */
export async function upgradeReport(options: Pick<UpgradeOptions, 'connection' | 'target'>): Promise<{states: Array<DeployedState | {cluster: string; error: unknown}>; skew: UpgradeResult['skew']}> {
  const read = await onEachCluster(options.connection, readState)
  const states = read.outcomes.map((outcome) => (outcome.result ? outcome.result : {cluster: outcome.cluster, error: outcome.error}))
  const skew = states.map((state) => ('error' in state ? state : (skewReport([state], options.target)[0] as ClusterSkew)))
  return {skew, states}
}

/** Upgrades every reachable cluster that has something of Submariner, one after the other. */
export async function upgrade(options: UpgradeOptions, states: Array<DeployedState | {cluster: string; error: unknown}>, reporter: Reporter): Promise<Omit<UpgradeResult, 'skew'>> {
  const writer = new Writer(options.dryRun)
  const wanted = new Set(states.filter((state) => !('error' in state) && needsUpgrade(state)).map((state) => state.cluster))
  const result = await onEachCluster(
    options.connection,
    async (client, cluster) => {
      if (!wanted.has(cluster)) return []
      const state = await readState(client, cluster)
      const before = writer.planned.length
      await upgradeCluster(client, state, options, writer, reporter)
      return writer.planned.slice(before).map(({object}) => ({kind: object.kind as string, name: object.metadata?.name as string, ...(object.metadata?.namespace ? {namespace: object.metadata.namespace} : {})}))
    },
    {sequential: true},
  )
  const upgrades = result.outcomes
    .filter((outcome) => wanted.has(outcome.cluster))
    .map((outcome) => ({applied: outcome.result ?? [], cluster: outcome.cluster, ...(outcome.error === undefined ? {} : {error: outcome.error})}))
  return {planned: writer.planned, upgrades}
}
