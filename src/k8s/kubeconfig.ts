/**
 * kubectl-compatible kubeconfig loading: --kubeconfig, else $KUBECONFIG as a list of files (missing
 * ones skipped, the first definition of a name wins, as kubectl merges), else ~/.kube/config; then
 * --context and the per-command overrides (--server, --token, ...). client-node is imported lazily:
 * it costs a few hundred milliseconds and commands like `version` never need it.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'

import type {Cluster, Context, KubeConfig, User} from '@kubernetes/client-node'

import jsYaml from 'js-yaml'

import {parseDuration} from '../lib/duration.js'
import {usageError, type SubctlError} from '../lib/errors.js'
import type {KubeEndpoint} from './client.js'
import {parseProxyUrl} from '../lib/proxy-url.js'

/** The connection flags subctl shares with kubectl (reference/subctl.md §1.2). */
export interface KubeConnectionOptions {
  kubeconfig?: string
  context?: string
  cluster?: string
  user?: string
  server?: string
  token?: string
  certificateAuthority?: string
  clientCertificate?: string
  clientKey?: string
  insecureSkipTlsVerify?: boolean
  tlsServerName?: string
  as?: string
  asGroup?: string[]
  asUid?: string
  /** Basic authentication (--username, --password). */
  username?: string
  password?: string
  /** An http:// proxy for the API server (--proxy-url); else the kubeconfig cluster's proxy-url. */
  proxyUrl?: string
  /** kubectl syntax: "0" (none), "30s", "1m", or plain seconds. */
  requestTimeout?: string
}

/** One context resolved to a server and credentials. */
export interface KubeTarget {
  contextName: string
  /** The kubeconfig cluster entry's name: subctl's display name and default cluster ID. */
  clusterName: string
  /** The namespace set on the context, if any. */
  namespace: string | undefined
  server: string
  endpoint: KubeEndpoint
}

export interface ContextEntry {
  name: string
  cluster: string
  user: string
  namespace?: string
}

export interface LoadedKubeconfig {
  contexts: ContextEntry[]
  currentContext: string | undefined
  /** The files that were read, for messages. */
  files: string[]
  config: KubeConfig
}

/** Reads and merges the kubeconfig files the way kubectl does. */
export async function loadKubeconfig(options: KubeConnectionOptions): Promise<LoadedKubeconfig> {
  const [{KubeConfig}, {newClusters, newContexts, newUsers}] = await Promise.all([
    import('@kubernetes/client-node'),
    import('@kubernetes/client-node/dist/config_types.js'),
  ])
  const files = kubeconfigFiles(options.kubeconfig)
  const merged = {clusters: [] as Cluster[], contexts: [] as Context[], currentContext: undefined as string | undefined, users: [] as User[]}
  for (const file of files) {
    const parsed = parseKubeconfigFile(file)
    const single = new KubeConfig()
    try {
      // What KubeConfig.loadFromFile does, from the document parsed once (YAML is a few ms a file).
      single.loadFromOptions({
        clusters: newClusters(parsed.clusters),
        contexts: newContexts(parsed.contexts),
        currentContext: parsed['current-context'] as string,
        users: newUsers(parsed.users),
      })
      single.makePathsAbsolute(dirname(file))
    } catch (error) {
      throw usageError(
        'KUBECONFIG_INVALID',
        `Cannot load the kubeconfig "${file}": ${(error as Error).message.split('\n')[0]}`,
        'Check the file, or point --kubeconfig or KUBECONFIG at a valid one',
      )
    }

    addNew(merged.clusters, single.clusters)
    addNew(merged.users, single.users)
    addNew(merged.contexts, single.contexts)
    merged.currentContext ||= single.currentContext || undefined
  }

  const config = new KubeConfig()
  config.loadFromOptions(merged)
  return {
    config,
    contexts: merged.contexts.map((context) => ({
      cluster: context.cluster,
      name: context.name,
      namespace: context.namespace,
      user: context.user,
    })),
    currentContext: merged.currentContext,
    files,
  }
}

/**
 * The document of a kubeconfig file, or the error client-node would answer with a TypeError or not
 * at all: a directory, an empty file, a file that is not YAML, or YAML that is no kubeconfig.
 */
function parseKubeconfigFile(file: string): Record<string, unknown> {
  const invalid = (problem: string) =>
    usageError('KUBECONFIG_INVALID', `The kubeconfig "${file}" ${problem}`, 'Check the file, or point --kubeconfig or KUBECONFIG at a valid one')
  if (statSync(file).isDirectory()) throw invalid('is a directory, not a file')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw invalid(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }

  if (text.trim() === '') throw invalid('is empty')
  let parsed: unknown
  try {
    // js-yaml, the parser of client-node's KubeConfig: one YAML library on this path.
    parsed = jsYaml.load(text)
  } catch (error) {
    throw invalid(`is not valid YAML: ${(error as Error).message.split('\n')[0]?.replace(/:\s*$/, '')}`)
  }

  const config = parsed as {clusters?: unknown; contexts?: unknown; users?: unknown} | null
  if (typeof config !== 'object' || config === null || Array.isArray(config) || !('clusters' in config || 'contexts' in config || 'users' in config)) {
    throw invalid('is not a kubeconfig: it has no clusters, contexts or users')
  }

  return config as Record<string, unknown>
}

function addNew<T extends {name: string}>(into: T[], from: T[] | undefined): void {
  for (const entry of from ?? []) if (!into.some((existing) => existing.name === entry.name)) into.push(entry)
}

function kubeconfigFiles(explicit: string | undefined): string[] {
  if (explicit) {
    if (!existsSync(explicit)) {
      throw usageError('KUBECONFIG_NOT_FOUND', `The kubeconfig file "${explicit}" does not exist`, 'Pass an existing file to --kubeconfig')
    }

    return [explicit]
  }

  const fromEnvironment = (process.env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '')
  if (fromEnvironment.length > 0) return fromEnvironment.filter((file) => existsSync(file))
  const home = join(homedir(), '.kube', 'config')
  return existsSync(home) ? [home] : []
}

/** The one error for a context the kubeconfig does not define, naming the ones it does. */
export function contextNotFound(loaded: LoadedKubeconfig, name: string): SubctlError {
  return usageError(
    'KUBE_CONTEXT_NOT_FOUND',
    `No Kubernetes context found named "${name}"`,
    loaded.contexts.length > 0 ? `Use one of: ${loaded.contexts.map((entry) => entry.name).join(', ')}` : 'Point --kubeconfig or KUBECONFIG at the kubeconfig that defines it',
  )
}

/** Resolves one context (the --context flag, the given name, or the current context) with the overrides applied. */
export function resolveTarget(loaded: LoadedKubeconfig, options: KubeConnectionOptions, contextName?: string): KubeTarget {
  const name = contextName ?? options.context ?? loaded.currentContext
  const context = name === undefined ? undefined : loaded.config.getContextObject(name)
  if (name !== undefined && name !== '' && context === null && !options.server) throw contextNotFound(loaded, name)

  const clusterName = options.cluster ?? context?.cluster
  const userName = options.user ?? context?.user
  const cluster = clusterName === undefined ? undefined : loaded.config.getCluster(clusterName)
  const user = userName === undefined ? undefined : loaded.config.getUser(userName)
  const server = options.server ?? cluster?.server
  if (!server) {
    throw usageError(
      'KUBECONFIG_MISSING',
      loaded.files.length === 0
        ? 'No Kubernetes configuration or context was found'
        : `The kube context "${name ?? ''}" has no cluster server`,
      'Set KUBECONFIG or pass --kubeconfig and --context (or --server)',
    )
  }

  return {
    clusterName: clusterName ?? new URL(server).hostname,
    contextName: name ?? '',
    endpoint: endpointFor(loaded, {cluster, options, server, user}),
    namespace: context?.namespace,
    server,
  }
}

function endpointFor(
  loaded: LoadedKubeconfig,
  parts: {cluster: Cluster | null | undefined; user: User | null | undefined; server: string; options: KubeConnectionOptions},
): KubeEndpoint {
  const {cluster, options, server, user} = parts
  // A single-context KubeConfig with the overrides applied, so client-node computes TLS and auth headers.
  const effectiveCluster: Cluster = {
    ...cluster,
    caData: options.certificateAuthority ? undefined : cluster?.caData,
    caFile: options.certificateAuthority ?? cluster?.caFile,
    name: 'target',
    server,
    skipTLSVerify: options.insecureSkipTlsVerify ?? cluster?.skipTLSVerify ?? false,
    tlsServerName: options.tlsServerName ?? cluster?.tlsServerName,
  }
  const effectiveUser: User = {
    ...user,
    certFile: options.clientCertificate ?? user?.certFile,
    keyFile: options.clientKey ?? user?.keyFile,
    name: 'target',
    password: options.password ?? user?.password,
    token: options.token ?? user?.token,
    username: options.username ?? user?.username,
  }
  const config = new (loaded.config.constructor as new () => KubeConfig)()
  config.loadFromClusterAndUser(effectiveCluster, effectiveUser)
  const proxyUrl = options.proxyUrl ?? cluster?.proxyUrl
  return endpointFromConfig(config, server, `context "${parts.options.context ?? loaded.currentContext ?? server}"`, {...options, ...(proxyUrl ? {proxyUrl} : {})})
}

/** Builds the client endpoint from a client-node KubeConfig whose current context is the target. */
export function endpointFromConfig(
  config: KubeConfig,
  server: string,
  displayName: string,
  options: Pick<KubeConnectionOptions, 'as' | 'asGroup' | 'asUid' | 'proxyUrl' | 'requestTimeout'> = {},
): KubeEndpoint {
  // A flag's value was checked when parsed; this one may come from the kubeconfig.
  if (options.proxyUrl) parseProxyUrl(options.proxyUrl, 'The proxy-url of the kubeconfig cluster')
  let tls: KubeEndpoint['tls'] | undefined
  const applied = async () => {
    const request: {headers?: Record<string, string>; ca?: unknown; cert?: unknown; key?: unknown; rejectUnauthorized?: boolean; servername?: string; auth?: string} = {headers: {}}
    await config.applyToHTTPSOptions(request as never)
    return request
  }

  return {
    displayName,
    async headers() {
      const request = await applied()
      const headers: Record<string, string | string[]> = {...request.headers}
      if (request.auth) headers.Authorization = 'Basic ' + Buffer.from(request.auth).toString('base64')
      if (options.as) headers['Impersonate-User'] = options.as
      // One header per group: the API server reads each value of a repeated header as one group.
      if (options.asGroup?.length) headers['Impersonate-Group'] = options.asGroup
      if (options.asUid) headers['Impersonate-Uid'] = options.asUid
      return headers
    },
    ...(options.proxyUrl ? {proxyUrl: options.proxyUrl} : {}),
    requestTimeoutMs: parseRequestTimeout(options.requestTimeout),
    server,
    get tls() {
      if (tls === undefined) tls = tlsOf(config)
      return tls
    },
  }
}

function tlsOf(config: KubeConfig): KubeEndpoint['tls'] {
  const cluster = config.getCurrentCluster()
  const user = config.getCurrentUser()
  const read = (data: string | undefined, file: string | undefined) => {
    if (data) return Buffer.from(data, 'base64')
    if (file) return readFileOrThrow(file)
    return undefined
  }

  const tls: KubeEndpoint['tls'] = {rejectUnauthorized: !(cluster?.skipTLSVerify ?? false)}
  const ca = read(cluster?.caData, cluster?.caFile)
  if (ca) tls.ca = ca
  const cert = read(user?.certData, user?.certFile)
  if (cert) tls.cert = cert
  const key = read(user?.keyData, user?.keyFile)
  if (key) tls.key = key
  if (cluster?.tlsServerName) tls.servername = cluster.tlsServerName
  return tls
}

function readFileOrThrow(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw usageError('KUBECONFIG_INVALID', `Cannot read "${file}" named in the kubeconfig: ${(error as Error).message}`, 'Fix the path in the kubeconfig')
  }
}

/** kubectl's --request-timeout: "0" means no timeout, otherwise a duration like 30s, 1m or plain seconds. */
export function parseRequestTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === '0') return undefined
  return parseDuration(value, '--request-timeout')
}
