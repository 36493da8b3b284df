/**
 * Clients for code running in a pod: the API server from KUBERNETES_SERVICE_HOST/PORT with the
 * mounted ServiceAccount token (re-read, as bound tokens rotate), and the broker from the
 * BROKER_K8S_* settings upstream's agents use (reference/dataplane.md §2).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {SubctlError} from '../lib/errors.js'
import {KubeClient} from './client.js'

const ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
const TOKEN_REFRESH_MS = 60_000

/** Reads a token file again once a minute. */
function tokenReader(file: string): () => string {
  let token = ''
  let readAt = 0
  return () => {
    if (Date.now() - readAt > TOKEN_REFRESH_MS) {
      token = readFileSync(file, 'utf8').trim()
      readAt = Date.now()
    }

    return token
  }
}

export function inClusterClient(fieldManager: string, env: NodeJS.ProcessEnv = process.env, accountDir = ACCOUNT_DIR): KubeClient {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT ?? '443'
  if (!host) throw new SubctlError('NOT_IN_CLUSTER', 'KUBERNETES_SERVICE_HOST is not set: not running in a pod', {hint: 'Run the agent in a cluster'})
  const token = tokenReader(join(accountDir, 'token'))
  return new KubeClient(
    {
      displayName: 'the local cluster',
      headers: async () => ({Authorization: `Bearer ${token()}`}),
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      tls: {ca: readFileSync(join(accountDir, 'ca.crt'))},
    },
    fieldManager,
  )
}

export interface BrokerSettings {
  apiServer: string
  token: string
  namespace: string
  ca: string
  insecure: boolean
}

/**
 * The broker settings of an agent: BROKER_K8S_APISERVER (host:port), BROKER_K8S_REMOTENAMESPACE,
 * and the token and CA from the mounted BROKER_K8S_SECRET, falling back to BROKER_K8S_APISERVERTOKEN
 * and BROKER_K8S_CA (base64 PEM).
 */
export function brokerSettings(env: NodeJS.ProcessEnv = process.env, secretsDir = '/run/secrets/submariner.io'): BrokerSettings {
  const apiServer = env.BROKER_K8S_APISERVER ?? ''
  const namespace = env.BROKER_K8S_REMOTENAMESPACE ?? ''
  if (!apiServer || !namespace) {
    throw new SubctlError('BROKER_SETTINGS_MISSING', 'BROKER_K8S_APISERVER and BROKER_K8S_REMOTENAMESPACE must be set', {hint: 'The operator sets them from the Submariner CR'})
  }

  const fromSecret = (key: string) => {
    if (!env.BROKER_K8S_SECRET) return undefined
    try {
      return readFileSync(join(secretsDir, env.BROKER_K8S_SECRET, key), 'utf8')
    } catch {
      return undefined
    }
  }

  return {
    apiServer,
    ca: fromSecret('ca.crt') ?? Buffer.from(env.BROKER_K8S_CA ?? '', 'base64').toString('utf8'),
    insecure: env.BROKER_K8S_INSECURE === 'true',
    namespace,
    token: (fromSecret('token') ?? env.BROKER_K8S_APISERVERTOKEN ?? '').trim(),
  }
}

/** A client for the broker; `https://` is prepended to the host:port as upstream does. */
export function brokerClient(settings: BrokerSettings, fieldManager: string): KubeClient {
  const server = /^https?:\/\//.test(settings.apiServer) ? settings.apiServer : `https://${settings.apiServer}`
  return new KubeClient(
    {
      displayName: 'the broker',
      headers: async () => ({Authorization: `Bearer ${settings.token}`}),
      server,
      tls: settings.insecure ? {rejectUnauthorized: false} : settings.ca ? {ca: settings.ca} : {},
    },
    fieldManager,
  )
}
