/**
 * The broker as a joined cluster reaches it: the API server and namespace of its Submariner (or
 * ServiceDiscovery) CR, with the token and CA of the broker Secret beside it, else those of the CR.
 * uninstall, recover-broker-info, diagnose and gather read the broker this way.
 */
import {BROKER_SECRET, OPERATOR_NAMESPACE, type BrokerConnectionSpec} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {brokerClient, type BrokerSettings} from '../k8s/in-cluster.js'
import type {Secret} from '../k8s/objects.js'
import {Resources} from '../k8s/resources.js'

export interface BrokerLookup {
  /** Instead of the CR's (recover-broker-info --broker-url). */
  apiServer?: string
  /** Where the broker Secret is. @default submariner-operator */
  namespace?: string
}

export async function brokerSettingsOf(client: KubeClient, spec: BrokerConnectionSpec, lookup: BrokerLookup = {}): Promise<BrokerSettings> {
  const secret = await client.tryGet<Secret>(Resources.Secret, spec.brokerK8sSecret || BROKER_SECRET, lookup.namespace ?? OPERATOR_NAMESPACE)
  const read = (key: string) => Buffer.from(secret?.data?.[key] ?? '', 'base64').toString('utf8')
  return {
    apiServer: lookup.apiServer ?? spec.brokerK8sApiServer,
    ca: read('ca.crt') || Buffer.from(spec.brokerK8sCA ?? '', 'base64').toString('utf8'),
    insecure: spec.brokerK8sInsecure ?? false,
    namespace: spec.brokerK8sRemoteNamespace,
    token: read('token') || spec.brokerK8sApiServerToken,
  }
}

/** A client for the broker of a joined cluster; the caller closes it. */
export async function openBrokerOf(client: KubeClient, spec: BrokerConnectionSpec, lookup: BrokerLookup = {}, fieldManager = 'subctl'): Promise<KubeClient> {
  return brokerClient(await brokerSettingsOf(client, spec, lookup), fieldManager)
}
