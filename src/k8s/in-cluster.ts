/**
 * The broker settings of code running in a pod, from the BROKER_K8S_* variables upstream's agents
 * use (reference/dataplane.md §2), and a client for the broker from them. The local cluster's
 * client is clients.ts's inClusterClient.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {SubctlError} from '../lib/errors.js'
import type {KubeClient} from './client.js'
import {clientForServer} from './clients.js'

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
export function brokerClient(settings: BrokerSettings, fieldManager: string): Promise<KubeClient> {
  const server = /^https?:\/\//.test(settings.apiServer) ? settings.apiServer : `https://${settings.apiServer}`
  return clientForServer({ca: settings.ca, displayName: 'the broker', insecure: settings.insecure, server, token: settings.token}, fieldManager)
}
