/**
 * The one way to build a KubeClient: from a resolved kube context, from a server address with its
 * credentials (the broker, the lab), or from inside a pod. Each goes through client-node's
 * KubeConfig, which computes TLS and authentication (including the in-cluster token file, re-read
 * every minute as bound tokens rotate); the client then sends its requests itself (client.ts).
 * Nothing else calls KubeClient's constructor (an eslint rule holds it).
 */
import type {KubeConfig} from '@kubernetes/client-node'

import {SubctlError} from '../lib/errors.js'
import {KubeClient} from './client.js'
import {endpointFromConfig, type KubeTarget} from './kubeconfig.js'

/** A client for a context resolved from a kubeconfig (kubeconfig.ts). */
export function clientFor(target: KubeTarget, fieldManager?: string): KubeClient {
  return new KubeClient(target.endpoint, fieldManager)
}

export interface ServerAccess {
  /** https://host:port (or http:// for a test server). */
  server: string
  /** A name for messages, e.g. "the broker". */
  displayName: string
  token?: string
  /** PEM. */
  ca?: string | Buffer
  cert?: string | Buffer
  key?: string | Buffer
  /** Skip the verification of the server's certificate. */
  insecure?: boolean
}

const base64 = (pem: string | Buffer | undefined) => (pem === undefined || pem.length === 0 ? undefined : Buffer.from(pem).toString('base64'))

/** A client for a server given by address and credentials. */
export async function clientForServer(access: ServerAccess, fieldManager?: string): Promise<KubeClient> {
  const {KubeConfig} = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  config.loadFromClusterAndUser(
    {caData: base64(access.ca), name: 'server', server: access.server, skipTLSVerify: access.insecure ?? false},
    {certData: base64(access.cert), keyData: base64(access.key), name: 'user', ...(access.token ? {token: access.token} : {})},
  )
  return fromConfig(config, access.server, access.displayName, fieldManager)
}

/** The client of code running in a pod: client-node's loadFromCluster (API server from the environment, the mounted ServiceAccount). */
export async function inClusterClient(fieldManager: string): Promise<KubeClient> {
  if (!process.env.KUBERNETES_SERVICE_HOST) {
    throw new SubctlError('NOT_IN_CLUSTER', 'KUBERNETES_SERVICE_HOST is not set: not running in a pod', {hint: 'Run the agent in a cluster'})
  }

  process.env.KUBERNETES_SERVICE_PORT ||= '443'
  const {KubeConfig} = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  config.loadFromCluster()
  return fromConfig(config, config.getCurrentCluster()?.server as string, 'the local cluster', fieldManager)
}

function fromConfig(config: KubeConfig, server: string, displayName: string, fieldManager: string | undefined): KubeClient {
  return new KubeClient(endpointFromConfig(config, server, displayName), fieldManager)
}
