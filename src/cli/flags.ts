/**
 * Flags shared by many commands: kubectl's connection flags, the namespace flag (only where
 * upstream subctl has one), --contexts for the commands that run on several clusters, and -o.
 */
import * as Flags from '@oclif/core/flags'

import {usageError} from '../lib/errors.js'
import {parseProxyUrl} from '../lib/proxy-url.js'

import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'

const CONNECTION = 'KUBE CONNECTION'

/** kubectl-compatible connection flags (reference/subctl.md §1.2). */
export const kubeFlags = {
  as: Flags.string({description: 'Username to impersonate for the operation', helpGroup: CONNECTION}),
  'as-group': Flags.string({description: 'Group to impersonate for the operation (repeatable)', helpGroup: CONNECTION, multiple: true}),
  'as-uid': Flags.string({description: 'UID to impersonate for the operation', helpGroup: CONNECTION}),
  'certificate-authority': Flags.string({description: 'Path to a cert file for the certificate authority', helpGroup: CONNECTION}),
  'client-certificate': Flags.string({description: 'Path to a client certificate file for TLS', helpGroup: CONNECTION}),
  'client-key': Flags.string({description: 'Path to a client key file for TLS', helpGroup: CONNECTION}),
  cluster: Flags.string({description: 'The name of the kubeconfig cluster to use', helpGroup: CONNECTION}),
  context: Flags.string({description: 'The name of the kubeconfig context to use', helpGroup: CONNECTION}),
  'disable-compression': Flags.boolean({
    default: false,
    description: 'If true, opt-out of response compression for all requests to the server (subctl never asks for compressed responses)',
    helpGroup: CONNECTION,
  }),
  'insecure-skip-tls-verify': Flags.boolean({
    default: false,
    description: "If true, the server's certificate will not be checked for validity",
    helpGroup: CONNECTION,
  }),
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)', helpGroup: CONNECTION}),
  password: Flags.string({description: 'Password for basic authentication to the API server', helpGroup: CONNECTION}),
  'proxy-url': Flags.string({
    description: 'An http:// proxy to reach the API server through (CONNECT)',
    helpGroup: CONNECTION,
    parse: async (input) => parseProxyUrl(input).href,
  }),
  'request-timeout': Flags.string({
    default: '0',
    description: 'How long to wait for a single server request (e.g. 30s, 1m); 0 waits as long as the command does',
    helpGroup: CONNECTION,
  }),
  server: Flags.string({description: 'The address and port of the Kubernetes API server', helpGroup: CONNECTION}),
  'tls-server-name': Flags.string({description: 'Server name to use for server certificate validation', helpGroup: CONNECTION}),
  token: Flags.string({description: 'Bearer token for authentication to the API server', helpGroup: CONNECTION}),
  user: Flags.string({description: 'The name of the kubeconfig user to use', helpGroup: CONNECTION}),
  username: Flags.string({description: 'Username for basic authentication to the API server', helpGroup: CONNECTION}),
}

/** A namespace given as an empty string is a mistake (an unset shell variable), not a request for "all". */
async function nonEmptyNamespace(input: string): Promise<string> {
  if (input.trim() === '') throw usageError('EMPTY_NAMESPACE', 'The namespace is empty', 'Pass a namespace name, e.g. -n default, or leave -n out')
  return input
}

/** `-n/--namespace` with the default upstream uses for that command. */
export function namespaceFlag(defaultNamespace: string, description = 'Namespace') {
  return Flags.string({char: 'n', default: defaultNamespace, description, helpGroup: CONNECTION, parse: nonEmptyNamespace})
}

/** `-n/--namespace` without a default: the kube context's namespace, else "default". */
export function contextNamespaceFlag(description = 'Namespace (default: the kube context’s namespace, else "default")') {
  return Flags.string({char: 'n', description, helpGroup: CONNECTION, parse: nonEmptyNamespace})
}

/** --contexts, for the commands that run on every context by default (show, gather). */
export const contextsFlag = Flags.string({
  delimiter: ',',
  description: 'Comma-separated list of kubeconfig contexts to use (default: every context, once per cluster)',
  helpGroup: CONNECTION,
  multiple: true,
})

export type OutputFormat = 'table' | 'json' | 'yaml'

/** `-o table|json|yaml` for read commands. JSON and YAML documents are the stable, versioned output. */
export const outputFlag = Flags.string({
  char: 'o',
  default: 'table',
  description: 'Output format',
  options: ['table', 'json', 'yaml'],
})

interface KubeFlagValues {
  as?: string
  'as-group'?: string[]
  'as-uid'?: string
  'certificate-authority'?: string
  'client-certificate'?: string
  'client-key'?: string
  cluster?: string
  context?: string
  'insecure-skip-tls-verify'?: boolean
  kubeconfig?: string
  password?: string
  'proxy-url'?: string
  'request-timeout'?: string
  server?: string
  'tls-server-name'?: string
  token?: string
  user?: string
  username?: string
}

/**
 * A second (or third) kube context: every connection flag again with a prefix, as upstream's `to`,
 * `extra` and `remote` sets (--tocontext, --toconfig for the kubeconfig, --tonamespace), without
 * shorthands. `namespaceDefault` adds the prefixed namespace flag.
 */
export function prefixedKubeFlags(prefix: string, what: string, namespaceDefault?: string) {
  const group = `${what.toUpperCase()} KUBE CONNECTION`
  const flags: Record<string, (typeof kubeFlags)[keyof typeof kubeFlags]> = {}
  for (const [name, flag] of Object.entries(kubeFlags)) {
    flags[prefixedName(prefix, name)] = {...flag, description: `${flag.description} (${what})`, helpGroup: group} as (typeof kubeFlags)[keyof typeof kubeFlags]
  }

  if (namespaceDefault !== undefined) {
    flags[`${prefix}namespace`] = Flags.string({default: namespaceDefault, description: `Namespace (${what})`, helpGroup: group, parse: nonEmptyNamespace}) as never
  }

  return flags
}

function prefixedName(prefix: string, name: string): string {
  return name === 'kubeconfig' ? `${prefix}config` : `${prefix}${name}`
}

/**
 * The connection options of a prefixed set, or undefined when none of its flags was given: like
 * upstream, a prefixed context is present only when one of its flags is set.
 */
export function prefixedConnectionOptions(flags: Record<string, unknown>, prefix: string, defaults: Record<string, unknown> = {}): KubeConnectionOptions | undefined {
  const values: Record<string, unknown> = {}
  let given = false
  for (const name of Object.keys(kubeFlags)) {
    const value = flags[prefixedName(prefix, name)]
    if (value === undefined) continue
    values[name] = value
    if (value !== false && !(name === 'request-timeout' && value === '0')) given = true
  }

  return given ? connectionOptions({...defaults, ...values} as KubeFlagValues) : undefined
}

/** Maps parsed flag values onto the connection options the k8s layer takes. */
export function connectionOptions(flags: KubeFlagValues): KubeConnectionOptions {
  const options: KubeConnectionOptions = {}
  const set = <K extends keyof KubeConnectionOptions>(key: K, value: KubeConnectionOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value
  }

  set('as', flags.as)
  set('asGroup', flags['as-group'])
  set('asUid', flags['as-uid'])
  set('certificateAuthority', flags['certificate-authority'])
  set('clientCertificate', flags['client-certificate'])
  set('clientKey', flags['client-key'])
  set('cluster', flags.cluster)
  set('context', flags.context)
  if (flags['insecure-skip-tls-verify']) options.insecureSkipTlsVerify = true
  set('kubeconfig', flags.kubeconfig)
  set('password', flags.password)
  set('proxyUrl', flags['proxy-url'])
  set('requestTimeout', flags['request-timeout'] === '0' ? undefined : flags['request-timeout'])
  set('server', flags.server)
  set('tlsServerName', flags['tls-server-name'])
  set('token', flags.token)
  set('user', flags.user)
  set('username', flags.username)
  return options
}

/** The HTTP proxy flags of deploy-broker and join (reference/subctl.md §1.7). */
export const proxyFlags = {
  'http-proxy': Flags.string({description: 'HTTP proxy the operator and its components use'}),
  'https-proxy': Flags.string({description: 'HTTPS proxy the operator and its components use'}),
  'no-proxy': Flags.string({description: 'Hosts the operator and its components reach without a proxy'}),
}

export function proxySettings(flags: {'http-proxy'?: string; 'https-proxy'?: string; 'no-proxy'?: string}) {
  return {httpProxy: flags['http-proxy'], httpsProxy: flags['https-proxy'], noProxy: flags['no-proxy']}
}

export const dryRunFlag = Flags.boolean({default: false, description: 'Print every object as YAML instead of applying it; write nothing'})

export const timeoutFlag = Flags.string({default: '5m', description: 'How long to wait for each component to become ready (e.g. 90s, 5m)'})
