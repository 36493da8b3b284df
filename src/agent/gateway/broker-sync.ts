/**
 * Endpoint and Cluster synchronisation with the broker (reference/dataplane.md §2), run by the
 * active gateway. One level-triggered reconcile per "Kind/name" covers both directions:
 *   - local objects without the clusterID label are this cluster's: copy them to the broker with
 *     the label; when they go, delete their broker copies;
 *   - broker objects labelled with another cluster's ID are copied into the local namespace (an
 *     Endpoint whose subnets overlap the local ones is left out); when they go, so do the copies.
 * Because the caches are filled before anything is reconciled, the start-up reconciliation of
 * upstream (stale remote copies after downtime) is just the first pass.
 */
import {CLUSTER_ID_LABEL, type Endpoint} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources, type ResourceType} from '../../k8s/resources.js'
import {clusterProblem, endpointProblem} from '../../lib/broker-objects.js'
import {subnetsOverlap} from '../../lib/endpoints.js'
import {Controller} from '../runtime/controller.js'
import {mirrorDiffers, mirrorOf} from '../runtime/mirror.js'
import type {Logger} from '../runtime/log.js'

type Synced = KubeObject & {spec: unknown}

export interface BrokerSyncOptions {
  local: KubeClient
  broker: KubeClient
  namespace: string
  brokerNamespace: string
  clusterId: string
  /** The local subnets remote Endpoints must not overlap. */
  localSubnets: string[]
  log: Logger
}

export class BrokerSync {
  readonly #options: BrokerSyncOptions
  readonly #controller: Controller
  readonly #informers = new Map<string, {local: Informer<Synced>; broker: Informer<Synced>; type: ResourceType}>()

  constructor(options: BrokerSyncOptions) {
    this.#options = options
    const {broker, brokerNamespace, local, log, namespace} = options
    this.#controller = new Controller('broker-sync', (key) => this.#reconcile(key), log)
    for (const type of [Resources.Endpoint, Resources.Cluster]) {
      const pair = {
        broker: new Informer<Synced>(broker, type, {log, namespace: brokerNamespace}),
        local: new Informer<Synced>(local, type, {log, namespace}),
        type,
      }
      this.#informers.set(type.kind, pair)
      const keyOf = (object: Synced) => [`${type.kind}/${object.metadata.name}`]
      this.#controller.watch(pair.local, keyOf).watch(pair.broker, keyOf)
    }
  }

  start(): Promise<void> {
    return this.#controller.start()
  }

  stop(): void {
    this.#controller.stop()
  }

  async #reconcile(key: string): Promise<void> {
    const [kind = '', name = ''] = key.split('/')
    const pair = this.#informers.get(kind)
    if (!pair) return
    const {broker, brokerNamespace, clusterId, local, localSubnets, log, namespace} = this.#options
    const localObject = pair.local.get(`${namespace}/${name}`)
    const brokerObject = pair.broker.get(`${brokerNamespace}/${name}`)
    const origin = (object: Synced | undefined) => object?.metadata.labels?.[CLUSTER_ID_LABEL]

    // This cluster's objects: local → broker.
    if (localObject && !origin(localObject)) {
      const wanted = mirrorOf(localObject, brokerNamespace, {[CLUSTER_ID_LABEL]: clusterId})
      if (mirrorDiffers(brokerObject, wanted)) {
        await broker.apply(wanted)
        log.debug('synced to the broker', {key})
      }
    } else if (!localObject && brokerObject && origin(brokerObject) === clusterId) {
      await broker.delete(pair.type, name, brokerNamespace)
      log.info('deleted from the broker', {key})
    }

    // Other clusters' objects: broker → local.
    if (brokerObject && origin(brokerObject) && origin(brokerObject) !== clusterId) {
      const problem = kind === 'Endpoint' ? endpointProblem(brokerObject.spec) : clusterProblem(brokerObject.spec)
      if (problem) {
        log.warn('refusing a malformed object from the broker', {key, problem})
        if (localObject) await local.delete(pair.type, name, namespace)
        return
      }

      if (kind === 'Endpoint' && subnetsOverlap((brokerObject as Endpoint).spec.subnets, localSubnets)) {
        log.warn('not syncing a remote Endpoint whose subnets overlap the local ones', {key, subnets: (brokerObject as Endpoint).spec.subnets})
        return
      }

      const wanted = mirrorOf(brokerObject, namespace)
      if (mirrorDiffers(localObject, wanted)) {
        await local.apply(wanted)
        log.info('synced from the broker', {key})
      }
    } else if (localObject && origin(localObject) && origin(localObject) !== clusterId && !brokerObject) {
      await local.delete(pair.type, name, namespace)
      log.info('deleted the copy of a remote object gone from the broker', {key})
    }
  }
}

