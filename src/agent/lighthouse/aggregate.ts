/**
 * This cluster's membership in the broker's aggregated ServiceImports `<svc>-<ns>` (reference/
 * lighthouse.md §2.4): joining one (creating it, with a clusterset IP, when first), keeping its
 * timestamp, session affinity and ports, and leaving it (deleting it, and releasing the IP, when
 * last). Each exporting cluster also keeps its export record there (annotation
 * `export.lighthouse.submariner.io/<cluster>`: its type, exported labels and annotations), even when
 * its type lost, so that every export involved in a conflict can say so, and every importer knows
 * the oldest export's labels. Part of the Lighthouse agent's reconcile (agent.ts).
 */
import {
  ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY,
  ANNOTATION_TIMESTAMP_PREFIX,
  ANNOTATION_USE_CLUSTERSET_IP,
  LABEL_SERVICE_NAME,
  LABEL_SOURCE_NAMESPACE,
  type EndpointSlice,
  type ServiceImport,
} from '../../api/mcs.js'
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists, isConflict, isNotFound} from '../../k8s/errors.js'
import type {Informer} from '../../k8s/informer.js'
import {Resources} from '../../k8s/resources.js'
import {aggregateProblem} from '../../lib/broker-objects.js'
import {sameContent} from '../../lib/canonical.js'
import {parseCidr} from '../../lib/cidr.js'
import {aggregateName, exportTimestamp, samePorts, unionPorts} from '../../lib/lighthouse.js'
import {annotationClusterName, exportRecordKey, exportRecordOf, exportersOldestFirst, portsByCluster, winningSpecOf, withWinningSpec, type LighthouseSettings, type ServicePlan} from '../../lib/lighthouse-plan.js'
import type {Logger} from '../runtime/log.js'
import {ClustersetIPAllocator} from './clusterset-ip.js'

/** What the aggregates are read from: the broker's ServiceImports and EndpointSlices. */
export interface BrokerCaches {
  brokerImports: Informer<ServiceImport>
  brokerSlices: Informer<EndpointSlice>
}

export class Aggregates {
  readonly #broker: KubeClient
  readonly #caches: BrokerCaches
  readonly #settings: LighthouseSettings
  readonly #log: Logger
  readonly #clustersetIPs: ClustersetIPAllocator

  constructor(options: {broker: KubeClient; caches: BrokerCaches; settings: LighthouseSettings; log: Logger}) {
    this.#broker = options.broker
    this.#caches = options.caches
    this.#settings = options.settings
    this.#log = options.log
    this.#clustersetIPs = new ClustersetIPAllocator({
      broker: options.broker,
      brokerNamespace: options.settings.brokerNamespace,
      cidr: options.settings.clustersetIPCIDR,
      clusterId: options.settings.clusterId,
      inUse: () => options.caches.brokerImports.list().flatMap((entry) => entry.spec.ips ?? []),
      log: options.log,
    })
  }

  /**
   * This cluster's place in the broker's aggregate: joins it (creating it, with the clusterset IP,
   * when first), updates its timestamp and affinity, or leaves it (deleting it when last). Returns
   * the aggregate as it left it, and the conflict, if the aggregate has another type or is malformed.
   */
  async sync(plan: ServicePlan): Promise<{conflict?: string; aggregate?: ServiceImport}> {
    const {brokerNamespace, clusterId} = this.#settings
    const name = aggregateName(plan.service, plan.namespace)
    const timestampKey = ANNOTATION_TIMESTAMP_PREFIX + annotationClusterName(clusterId)
    for (let attempt = 0; attempt < 5; attempt++) {
      // The cache first: most reconciles find the aggregate as they left it. A cache that is behind
      // makes the write fail (a conflict, or AlreadyExists for a create), and the next attempt reads the broker.
      const current =
        attempt === 0 ? this.#caches.brokerImports.get(`${brokerNamespace}/${name}`) : await this.#broker.tryGet<ServiceImport>(Resources.ServiceImport, name, brokerNamespace)
      const malformed = current ? aggregateProblem(current) : undefined
      if (malformed) {
        // Neither joined nor left: what it says cannot be trusted, and it is not ours to repair.
        this.#log.warn('leaving a malformed aggregated ServiceImport on the broker alone', {name, problem: malformed, service: plan.key})
        return plan.localImport ? {conflict: `The aggregated ServiceImport on the broker is malformed: ${malformed}`} : {}
      }

      const clusters = current?.status?.clusters ?? []
      const member = clusters.some((entry) => entry.cluster === clusterId)
      const recordKey = exportRecordKey(clusterId)
      try {
        if (!plan.localImport) {
          if (current && !member && current.metadata.annotations?.[recordKey] !== undefined) {
            // A conflicting export that never joined leaves its record behind it.
            const {[recordKey]: _gone, ...annotations} = current.metadata.annotations
            await this.#broker.update<ServiceImport>({...current, metadata: {...current.metadata, annotations}})
            return {}
          }

          if (!current || !member) return {}
          const remaining = clusters.filter((entry) => entry.cluster !== clusterId)
          if (remaining.length === 0) {
            await this.#broker.delete(Resources.ServiceImport, name, brokerNamespace, {preconditions: {resourceVersion: current.metadata.resourceVersion}})
            for (const ip of current.spec.ips ?? []) await this.#clustersetIPs.release(ip, plan.key)
            this.#log.info('removed the aggregated ServiceImport (no cluster exports it any more)', {service: plan.key})
            return {}
          }

          const {[timestampKey]: _removed, [recordKey]: _record, ...annotations} = current.metadata.annotations ?? {}
          const updated = await this.#broker.update<ServiceImport>({...current, metadata: {...current.metadata, annotations}})
          await this.#broker.update<ServiceImport>({...updated, status: {clusters: remaining}}, 'status')
          return {}
        }

        const local = plan.localImport
        const timestamp = exportTimestamp(plan.exportObject?.metadata.creationTimestamp)
        const record = JSON.stringify(exportRecordOf(plan.exportObject, local.spec.type))
        if (!current) {
          const useIp = this.#useClustersetIP(local)
          const ip = local.spec.type === 'ClusterSetIP' && useIp ? await this.#clustersetIPs.reserve(plan.key) : undefined
          const created = await this.#createAggregate(plan.key, ip, {
            apiVersion: 'multicluster.x-k8s.io/v1alpha1',
            kind: 'ServiceImport',
            metadata: {
              annotations: {
                [LABEL_SERVICE_NAME]: plan.service,
                [LABEL_SOURCE_NAMESPACE]: plan.namespace,
                [timestampKey]: timestamp,
                [recordKey]: record,
                ...(local.spec.type === 'ClusterSetIP' ? {[ANNOTATION_USE_CLUSTERSET_IP]: String(Boolean(ip))} : {}),
                ...(ip ? {[ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY]: clusterId} : {}),
              },
              name,
              namespace: brokerNamespace,
            },
            spec: {
              ports: [],
              type: local.spec.type,
              ...(ip ? {ips: [ip]} : {}),
              ...winningSpecOf(local),
            },
          })
          const aggregate = await this.#broker.update<ServiceImport>({...created, status: {clusters: [{cluster: clusterId}]}}, 'status')
          this.#log.info('created the aggregated ServiceImport on the broker', {service: plan.key})
          return {aggregate}
        }

        if (current.spec.type !== local.spec.type) {
          // Not a member, but its record tells the members (and the oldest) that it conflicts.
          if (current.metadata.annotations?.[recordKey] !== record) {
            await this.#broker.update<ServiceImport>({...current, metadata: {...current.metadata, annotations: {...current.metadata.annotations, [recordKey]: record}}})
          }

          return {conflict: `The local service type ("${local.spec.type}") does not match the type ("${current.spec.type}") of the existing exported service`}
        }

        const annotations = {...current.metadata.annotations, [timestampKey]: timestamp, [recordKey]: record}
        if (local.spec.type === 'ClusterSetIP' && annotations[ANNOTATION_USE_CLUSTERSET_IP] === undefined) annotations[ANNOTATION_USE_CLUSTERSET_IP] = 'false'
        // The oldest exporter's session affinity, IP families and traffic policies win.
        const oldest = exportersOldestFirst(annotations)[0]
        const spec = oldest === annotationClusterName(clusterId) ? withWinningSpec(current.spec, local) : current.spec
        let updated = current
        if (!sameContent(annotations, current.metadata.annotations) || !sameContent(spec, current.spec)) {
          updated = await this.#broker.update<ServiceImport>({...current, metadata: {...current.metadata, annotations}, spec})
        }

        if (!member) updated = await this.#broker.update<ServiceImport>({...updated, status: {clusters: [...clusters, {cluster: clusterId}]}}, 'status')
        return {aggregate: updated}
      } catch (error) {
        if (!isConflict(error) && !isAlreadyExists(error) && !isNotFound(error)) throw error
      }
    }

    throw new Error(`could not update the aggregated ServiceImport ${brokerNamespace}/${name}: too many conflicts`)
  }

  #useClustersetIP(local: ServiceImport): boolean {
    if (!parseCidr(this.#settings.clustersetIPCIDR)) return false
    const annotation = local.metadata.annotations?.[ANNOTATION_USE_CLUSTERSET_IP]
    return annotation === undefined ? this.#settings.clustersetIPEnabled : annotation === 'true'
  }

  /**
   * Creates the aggregate with the address reserved for it; when the create fails (another cluster
   * created it first), the reservation goes unless that aggregate carries the same address.
   */
  async #createAggregate(service: string, ip: string | undefined, aggregate: ServiceImport): Promise<ServiceImport> {
    try {
      return await this.#broker.create<ServiceImport>(aggregate)
    } catch (error) {
      if (ip) {
        const existing = await this.#broker.tryGet<ServiceImport>(Resources.ServiceImport, aggregate.metadata.name as string, this.#settings.brokerNamespace)
        if (!existing?.spec.ips?.includes(ip)) await this.#clustersetIPs.release(ip, service)
      }

      throw error
    }
  }

  /**
   * Aggregate ports: the union by name of every exporter's slice ports, oldest exporter first.
   * `aggregate` is the version syncAggregate last read or wrote, so no read is needed here.
   */
  async syncPorts(plan: ServicePlan, aggregate: ServiceImport): Promise<void> {
    if (aggregate.spec.type !== 'ClusterSetIP') return
    const ports = unionPorts(portsByCluster(plan, aggregate, this.#caches.brokerSlices.indexed(plan.key)).map(([, clusterPorts]) => clusterPorts))
    if (samePorts(ports, aggregate.spec.ports)) return
    await this.#broker.update<ServiceImport>({...aggregate, spec: {...aggregate.spec, ports}}).catch((error: unknown) => {
      if (!isConflict(error)) throw error
      throw new Error('the aggregated ServiceImport changed meanwhile; retrying')
    })
  }
}
