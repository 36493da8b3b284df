/**
 * A cluster as diagnose sees it (its client, its Submariner and ServiceDiscovery CRs, its nodes,
 * where its probe pods go), the clusters a run covers (every context, as upstream, or
 * --context / --contexts / --in-cluster), and the recorder that turns a check's findings into
 * results and reporter lines. A check that throws is a failed finding of its own: one broken
 * check never stops the others.
 */
import {GATEWAY_LABEL, OPERATOR_NAMESPACE, SERVICE_DISCOVERY_CR, SUBMARINER_CR, type ServiceDiscovery, type Submariner} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {clientFor, inClusterClient} from '../../k8s/clients.js'
import {selectContexts} from '../../k8s/connect.js'
import {loadKubeconfig, resolveTarget, type KubeConnectionOptions} from '../../k8s/kubeconfig.js'
import type {NodeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {findingText, type CheckResult, type Finding} from '../../lib/diagnose-report.js'
import {messageOf, SubctlError} from '../../lib/errors.js'
import {imageFor} from '../../lib/images.js'
import type {Reporter, StepReporter} from '../../lib/reporter.js'
import type {ProbeSettings} from './probe-pods.js'

export const FIELD_MANAGER = 'subctl-diagnose'

export interface DiagnoseSettings {
  /** -n: where the probe pods run. */
  namespace: string
  imageOverrides: Record<string, string>
  /** --validation-timeout: how long a sniffer listens. */
  validationTimeoutSeconds: number
  /** How long a probe pod may take to start, and to end. */
  operationTimeoutSeconds: number
  verbose: boolean
}

export interface DiagnoseCluster {
  context: string
  client: KubeClient
  submariner?: Submariner
  serviceDiscovery?: ServiceDiscovery
  nodes: NodeObject[]
  probe: ProbeSettings
}

export interface DiagnoseIo {
  reporter: Reporter
  results: CheckResult[]
  settings: DiagnoseSettings
}

export async function describeCluster(client: KubeClient, context: string, settings: DiagnoseSettings): Promise<DiagnoseCluster> {
  const [submariner, serviceDiscovery, nodes] = await Promise.all([
    client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE),
    client.tryGet<ServiceDiscovery>(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, OPERATOR_NAMESPACE),
    client.list<NodeObject>(Resources.Node),
  ])
  const source = submariner?.spec ?? serviceDiscovery?.spec
  const image = imageFor('submariner-nettest', {overrides: {...source?.imageOverrides, ...settings.imageOverrides}, repository: source?.repository, version: source?.version})
  return {
    client,
    context,
    nodes: nodes.items,
    probe: {image, namespace: settings.namespace, timeoutMs: settings.operationTimeoutSeconds * 1000},
    ...(submariner ? {submariner} : {}),
    ...(serviceDiscovery ? {serviceDiscovery} : {}),
  }
}

function isGatewayNode(node: NodeObject): boolean {
  return node.metadata.labels?.[GATEWAY_LABEL] === 'true'
}

/** Upstream skips the probes that need a non-gateway node on a one-node cluster. */
export function isSingleNode(cluster: DiagnoseCluster): boolean {
  return cluster.nodes.length < 2 || cluster.nodes.every(isGatewayNode)
}

export interface OpenedCluster {
  context: string
  cluster?: DiagnoseCluster
  error?: unknown
}

/** The clusters of a run: --in-cluster, or the selected contexts of the kubeconfig (each once). */
export async function openClusters(options: KubeConnectionOptions & {contexts?: string[]; inCluster?: boolean}, settings: DiagnoseSettings): Promise<{clusters: OpenedCluster[]; warnings: string[]}> {
  if (options.inCluster) {
    const client = await inClusterClient(FIELD_MANAGER)
    return {clusters: [await openOne('in-cluster', client, settings)], warnings: []}
  }

  const loaded = await loadKubeconfig(options)
  const {names, warnings} = selectContexts(loaded, options)
  const clusters: OpenedCluster[] = []
  for (const context of names) {
    try {
      clusters.push(await openOne(context, clientFor(resolveTarget(loaded, {...options, context}), FIELD_MANAGER), settings))
    } catch (error) {
      clusters.push({context, error})
    }
  }

  return {clusters, warnings}
}

/** One named context (the inter-cluster checks' --context and --remotecontext). */
export async function openContext(options: KubeConnectionOptions, settings: DiagnoseSettings): Promise<DiagnoseCluster> {
  const loaded = await loadKubeconfig(options)
  const target = resolveTarget(loaded, options)
  const opened = await openOne(options.context ?? target.contextName, clientFor(target, FIELD_MANAGER), settings)
  if (opened.error !== undefined) throw opened.error
  return opened.cluster as DiagnoseCluster
}

async function openOne(context: string, client: KubeClient, settings: DiagnoseSettings): Promise<OpenedCluster> {
  try {
    return {cluster: await describeCluster(client, context, settings), context}
  } catch (error) {
    client.close()
    return {context, error}
  }
}

/** What a check reports through: each finding becomes a result and a line under the check's step. */
export class Findings {
  constructor(
    readonly check: string,
    readonly cluster: DiagnoseCluster,
    readonly step: StepReporter,
    readonly io: DiagnoseIo,
  ) {}

  add(finding: Finding): void {
    this.io.results.push({check: this.check, cluster: this.cluster.context, ...finding})
    const text = findingText(finding)
    if (finding.status === 'failed') this.step.failure(text)
    else if (finding.status === 'warning' || finding.status === 'skipped') this.step.warning(text)
    else this.step.success(text)
  }

  pass(message: string, details?: Record<string, unknown>): void {
    this.add({message, status: 'passed', ...(details ? {details} : {})})
  }

  /** --verbose: a line of what a probe printed, not a finding. */
  verbose(message: string): void {
    if (this.io.settings.verbose) this.step.success(message)
  }

  skip(message: string): void {
    this.add({message, status: 'skipped'})
  }
}

/** Runs one step of a check; an error it throws is recorded as a failure with its hint as the fix. */
export async function runStep(io: DiagnoseIo, cluster: DiagnoseCluster, check: string, title: string, work: (found: Findings) => Promise<void>): Promise<void> {
  await io.reporter.step(title, async (step) => {
    const found = new Findings(check, cluster, step, io)
    try {
      await work(found)
    } catch (error) {
      found.add({message: messageOf(error), status: 'failed', ...(error instanceof SubctlError && error.hint ? {fix: error.hint} : {})})
    }
  })
}

/** Upstream's not-installed gate: a warning, and the check counts as skipped. */
export async function notInstalled(io: DiagnoseIo, cluster: DiagnoseCluster, check: string, what: 'connectivity' | 'service-discovery' | 'any'): Promise<void> {
  const message = {any: 'No Submariner feature is installed', connectivity: 'Submariner connectivity feature is not installed', 'service-discovery': 'Submariner service discovery feature is not installed'}[what]
  await runStep(io, cluster, check, message, async (found) => found.skip(message))
}
