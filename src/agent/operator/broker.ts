/**
 * A Broker CR → the broker's CRDs and allocation ConfigMaps, re-ensured from its spec (upstream's
 * broker controller). The ConfigMaps' clusterinfo belongs to join and is never touched here.
 */
import type {Broker} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {splitKey} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {clustersetIPConfigMap, globalnetConfigMap} from '../../manifests/broker.js'
import {brokerCrds} from '../../manifests/crds.js'
import type {ReconcileResult} from '../runtime/workqueue.js'

export async function reconcileBroker(key: string, client: KubeClient): Promise<ReconcileResult> {
  const {name, namespace} = splitKey(key)
  const broker = await client.tryGet<Broker>(Resources.Broker, name, namespace)
  if (!broker || broker.metadata.deletionTimestamp) return undefined
  for (const crd of brokerCrds()) await client.apply(crd)
  await client.apply(globalnetConfigMap(namespace as string, broker.spec))
  await client.apply(clustersetIPConfigMap(namespace as string, broker.spec))
  return undefined
}
