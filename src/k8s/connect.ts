/**
 * Opening clients: for a kube context (kubectl flags), for every context of a kubeconfig (the
 * commands that run on all clusters), and for a broker given its URL, token and CA.
 */
import {SubctlError} from '../lib/errors.js'
import type {KubeClient} from './client.js'
import {clientFor, clientForServer} from './clients.js'
import {classify} from './errors.js'
import {contextNotFound, loadKubeconfig, resolveTarget, type KubeConnectionOptions, type KubeTarget, type LoadedKubeconfig} from './kubeconfig.js'
import {Resources} from './resources.js'

export interface ClusterHandle {
  target: KubeTarget
  client: KubeClient
}

/** The context the flags select, with a client for it. */
export async function openCluster(options: KubeConnectionOptions, fieldManager?: string): Promise<ClusterHandle> {
  const loaded = await loadKubeconfig(options)
  const target = resolveTarget(loaded, options)
  return {client: clientFor(target, fieldManager), target}
}

/**
 * The contexts a multi-cluster command runs on (reference/subctl.md §1.2): --context alone, else
 * the --contexts list, else every context once per cluster (for a cluster with several contexts,
 * the one whose user appears in the most contexts).
 */
export function selectContexts(loaded: LoadedKubeconfig, options: KubeConnectionOptions & {contexts?: string[]}): {names: string[]; warnings: string[]} {
  if (options.context) {
    if (!options.server && !loaded.contexts.some((context) => context.name === options.context)) throw contextNotFound(loaded, options.context)

    return {names: [options.context], warnings: []}
  }
  if (options.contexts && options.contexts.length > 0) {
    for (const name of options.contexts) {
      if (!loaded.contexts.some((context) => context.name === name)) throw contextNotFound(loaded, name)
    }

    return {names: options.contexts, warnings: []}
  }

  if (loaded.contexts.length === 0) {
    throw new SubctlError('KUBECONFIG_MISSING', 'No Kubernetes configuration or context was found', {
      hint: 'Set KUBECONFIG or pass --kubeconfig',
      kind: 'usage',
    })
  }

  const userCounts = new Map<string, number>()
  for (const context of loaded.contexts) userCounts.set(context.user, (userCounts.get(context.user) ?? 0) + 1)
  const byCluster = new Map<string, typeof loaded.contexts>()
  for (const context of loaded.contexts) byCluster.set(context.cluster, [...(byCluster.get(context.cluster) ?? []), context])
  const names: string[] = []
  const warnings: string[] = []
  for (const [cluster, contexts] of byCluster) {
    const chosen = [...contexts].sort((a, b) => (userCounts.get(b.user) ?? 0) - (userCounts.get(a.user) ?? 0))[0]
    if (!chosen) continue
    names.push(chosen.name)
    if (contexts.length > 1) {
      warnings.push(
        `Found multiple kube contexts for cluster "${cluster}" (${contexts.map((context) => context.name).join(', ')}). Context "${chosen.name}" was automatically selected; if its user lacks privileges, re-run the command with --context`,
      )
    }
  }

  return {names, warnings}
}

export interface BrokerAccess {
  /** https://host:port, as in broker-info.subm. */
  url: string
  token: string
  /** PEM of the broker's CA, from the token Secret. */
  ca: string
  namespace: string
  /** --check-broker-certificate=false */
  insecure: boolean
}

function brokerClient(access: BrokerAccess, ca: string | undefined, fieldManager: string): Promise<KubeClient> {
  return clientForServer({ca, displayName: 'the broker', insecure: access.insecure, server: access.url, token: access.token}, fieldManager)
}

const CERTIFICATE_PROBLEM = /certificate|self.signed|unable to verify/i

/**
 * Connects to the broker and checks that the token may read its namespace. Like upstream, it tries
 * the CA of the token Secret and, when the broker presents a publicly trusted certificate instead,
 * the system roots.
 */
export async function connectToBroker(access: BrokerAccess, fieldManager = 'subctl'): Promise<KubeClient> {
  const attempts = access.insecure ? [undefined] : access.ca ? [access.ca, undefined] : [undefined]
  let lastError: unknown
  for (const ca of attempts) {
    const client = await brokerClient(access, ca, fieldManager)
    try {
      await client.tryList(Resources.Cluster, {namespace: access.namespace})
      return client
    } catch (error) {
      client.close()
      lastError = error
      if (!CERTIFICATE_PROBLEM.test((error as Error).message)) break
    }
  }

  const kind = classify(lastError)
  if (kind === 'unauthorized' || kind === 'forbidden') {
    throw new SubctlError('BROKER_ACCESS_DENIED', `The broker at ${access.url} refused the credentials: ${(lastError as Error).message}`, {
      cause: lastError,
      hint: 'The broker-info.subm may be stale; recreate it with "subctl recover-broker-info" on a joined cluster',
    })
  }

  throw new SubctlError('BROKER_UNREACHABLE', `Cannot reach the broker at ${access.url}: ${(lastError as Error).message.replace(/^Cannot reach the Kubernetes API server of the broker at \S+: /, '')}`, {
    cause: lastError,
    hint: 'Check that the broker cluster is running and that the URL is right (--broker-url overrides the one in broker-info.subm)',
  })
}
