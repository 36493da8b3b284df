/**
 * The Lighthouse agent (reference/lighthouse.md §2): Multi-Cluster Services through the broker.
 *
 * Where upstream chains a dozen syncers, this is one level-triggered reconcile per service
 * ("namespace/name"), reading every cache and converging everything about that service:
 *   1. the ServiceExport's validity → the per-cluster ServiceImport `<svc>-<ns>-<cid>` (SD ns);
 *   2. the Lighthouse EndpointSlices of this cluster (one for a ClusterIP service, one per
 *      Kubernetes slice for a headless one) and their copies on the broker;
 *   3. this cluster's membership in the broker's aggregated ServiceImport `<svc>-<ns>` (ports,
 *      type conflicts, session affinity, clusterset IP), and the export's conditions;
 *   4. what every cluster imports: `<svc>` in `<ns>` (once the namespace exists) and the other
 *      clusters' EndpointSlices.
 * Any event about the service, from either cluster, just queues its key; a restart, a broker API
 * server restart or a missed event is repaired by the same reconcile.
 */
import {
  ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY,
  ANNOTATION_GLOBALNET_ENABLED,
  ANNOTATION_PUBLISH_NOT_READY,
  ANNOTATION_TIMESTAMP_PREFIX,
  ANNOTATION_USE_CLUSTERSET_IP,
  LABEL_IS_HEADLESS,
  LABEL_K8S_SERVICE_NAME,
  LABEL_MANAGED_BY,
  LABEL_ORIGINATING_NAMESPACE,
  LABEL_SERVICE_NAME,
  LABEL_SOURCE_CLUSTER,
  LABEL_SOURCE_NAME,
  LABEL_SOURCE_NAMESPACE,
  MANAGED_BY_LIGHTHOUSE,
  type EndpointSlice,
  type ServiceExport,
  type ServiceImport,
  type ServiceObject,
} from '../../api/mcs.js'
import {CLUSTER_ID_LABEL, type Condition} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists, isConflict, isNotFound} from '../../k8s/errors.js'
import type {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {aggregateProblem, knownImportSpec, validServiceKey} from '../../lib/broker-objects.js'
import {canonical} from '../../lib/canonical.js'
import {parseCidr} from '../../lib/cidr.js'
import {validObjectName} from '../../lib/cluster-id.js'
import {
  aggregateName,
  condition,
  describePorts,
  exportTimestamp,
  importableNamespace,
  unexportableNamespaceMessage,
  importType,
  localImportName,
  samePorts,
  servicePorts,
  unionPorts,
  withCondition,
  withConflict,
} from '../../lib/lighthouse.js'
import type {Logger} from '../runtime/log.js'
import {ClustersetIPAllocator} from './clusterset-ip.js'

export interface LighthouseSettings {
  clusterId: string
  /** The Submariner namespace, where per-cluster ServiceImports live. */
  namespace: string
  brokerNamespace: string
  globalnet: boolean
  clustersetIPCIDR: string
  clustersetIPEnabled: boolean
}

export interface LighthouseCaches {
  exports: Informer<ServiceExport>
  services: Informer<ServiceObject>
  slices: Informer<EndpointSlice>
  imports: Informer<ServiceImport>
  namespaces: Informer<KubeObject>
  brokerImports: Informer<ServiceImport>
  brokerSlices: Informer<EndpointSlice>
  globalIngressIPs?: Informer<KubeObject & {spec?: {target?: string; serviceRef?: {name: string}; podRef?: {name: string}}; status?: {allocatedIP?: string}}>
}

const ROUTING_ANNOTATIONS = [LABEL_SERVICE_NAME, LABEL_SOURCE_NAMESPACE]

/** The service key ("ns/name") every object about a service maps to, or undefined. */
export function keysOf(object: KubeObject, settings: LighthouseSettings): string[] {
  const labels = object.metadata.labels ?? {}
  const annotations = object.metadata.annotations ?? {}
  switch (object.kind) {
    case 'ServiceExport':
    case 'Service':
      return [`${object.metadata.namespace}/${object.metadata.name}`]
    case 'EndpointSlice':
      if (labels[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE) {
        return labels[LABEL_SOURCE_NAMESPACE] && labels[LABEL_SERVICE_NAME] ? [`${labels[LABEL_SOURCE_NAMESPACE]}/${labels[LABEL_SERVICE_NAME]}`] : []
      }

      return labels[LABEL_K8S_SERVICE_NAME] ? [`${object.metadata.namespace}/${labels[LABEL_K8S_SERVICE_NAME]}`] : []
    case 'ServiceImport': {
      // Per-cluster import (labels), broker aggregate (annotations), or imported copy (its own name).
      if (labels[LABEL_SERVICE_NAME] && labels[LABEL_SOURCE_NAMESPACE]) return [`${labels[LABEL_SOURCE_NAMESPACE]}/${labels[LABEL_SERVICE_NAME]}`]
      if (annotations[LABEL_SERVICE_NAME] && annotations[LABEL_SOURCE_NAMESPACE]) {
        // A broker object naming what no Service can be called names nothing to reconcile.
        return validServiceKey(annotations[LABEL_SOURCE_NAMESPACE], annotations[LABEL_SERVICE_NAME]) ? [`${annotations[LABEL_SOURCE_NAMESPACE]}/${annotations[LABEL_SERVICE_NAME]}`] : []
      }

      return object.metadata.namespace === settings.brokerNamespace ? [] : [`${object.metadata.namespace}/${object.metadata.name}`]
    }

    case 'GlobalIngressIP': {
      const ref = (object as {spec?: {serviceRef?: {name: string}}}).spec?.serviceRef?.name ?? labels['submariner.io/serviceRef']
      return ref ? [`${object.metadata.namespace}/${ref}`] : []
    }

    default:
      return []
  }
}

interface Plan {
  key: string
  service: string
  namespace: string
  exportObject: ServiceExport | undefined
  serviceObject: ServiceObject | undefined
  valid: Condition | undefined
  localImport: ServiceImport | undefined
}

export class LighthouseAgent {
  readonly #local: KubeClient
  readonly #broker: KubeClient
  readonly #caches: LighthouseCaches
  readonly #settings: LighthouseSettings
  readonly #log: Logger
  readonly #clustersetIPs: ClustersetIPAllocator

  constructor(options: {local: KubeClient; broker: KubeClient; caches: LighthouseCaches; settings: LighthouseSettings; log: Logger}) {
    this.#local = options.local
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

  /** Every service key the caches know about, for the first pass. */
  allKeys(): string[] {
    const keys = new Set<string>()
    const caches = this.#caches
    for (const informer of [caches.exports, caches.services, caches.imports, caches.brokerImports, caches.brokerSlices, caches.slices] as Array<Informer<KubeObject>>) {
      for (const object of informer.list()) {
        if (object.kind === 'Service' && !caches.exports.get(`${object.metadata.namespace}/${object.metadata.name}`)) continue
        for (const key of keysOf(object, this.#settings)) keys.add(key)
      }
    }

    return [...keys]
  }

  async reconcile(key: string): Promise<void> {
    const plan = this.#plan(key)
    if (!plan) return
    await this.#syncLocalImport(plan)
    const {aggregate, conflict: typeConflict} = await this.#syncAggregate(plan)
    const exported = plan.localImport !== undefined && !typeConflict
    const localSlices = await this.#syncLocalSlices(plan, exported)
    const onBroker = await this.#syncBrokerSlices(plan, localSlices)
    if (exported && aggregate) await this.#syncAggregatePorts(plan, aggregate)
    await this.#updateExportStatus(plan, {onBroker, typeConflict})
    await this.#syncImported(plan)
  }

  #plan(key: string): Plan | undefined {
    const [namespace = '', service = ''] = key.split('/')
    if (!namespace || !service) return undefined
    const {clusterId} = this.#settings
    const exportObject = this.#caches.exports.get(key)
    const serviceObject = this.#caches.services.get(key)
    let valid: Condition | undefined
    let localImport: ServiceImport | undefined
    if (exportObject) {
      const {brokerNamespace, namespace: submarinerNamespace} = this.#settings
      if (!importableNamespace(namespace, {brokerNamespace, submarinerNamespace})) {
        // Every other cluster would decline it without a word: refuse it here, on the export.
        valid = condition('Valid', 'False', 'NamespaceNotExportable', unexportableNamespaceMessage(namespace))
      } else if (!serviceObject) {
        valid = condition('Valid', 'False', 'ServiceUnavailable', "Service to be exported doesn't exist")
      } else {
        const type = importType(serviceObject)
        if (!type) {
          valid = condition('Valid', 'False', 'UnsupportedServiceType', `Service of type ${serviceObject.spec.type} not supported`)
        } else {
          const ip = type === 'ClusterSetIP' ? this.#serviceIp(serviceObject) : undefined
          if (type === 'ClusterSetIP' && this.#settings.globalnet && !ip) {
            valid = condition('Valid', 'False', 'ServiceGlobalIPUnavailable', "Service doesn't have a global IP yet")
          } else {
            valid = condition('Valid', 'True', 'Valid', 'Service is valid for export')
            const useClustersetIP = exportObject.metadata.annotations?.[ANNOTATION_USE_CLUSTERSET_IP]
            localImport = {
              apiVersion: 'multicluster.x-k8s.io/v1alpha1',
              kind: 'ServiceImport',
              metadata: {
                annotations: {
                  [ANNOTATION_PUBLISH_NOT_READY]: String(serviceObject.spec.publishNotReadyAddresses ?? false),
                  ...(useClustersetIP ? {[ANNOTATION_USE_CLUSTERSET_IP]: useClustersetIP} : {}),
                },
                labels: {[LABEL_ORIGINATING_NAMESPACE]: namespace, [LABEL_SERVICE_NAME]: service, [LABEL_SOURCE_CLUSTER]: clusterId, [LABEL_SOURCE_NAMESPACE]: namespace},
                name: localImportName(service, namespace, clusterId),
                namespace: this.#settings.namespace,
              },
              spec: {
                ports: type === 'Headless' ? [] : servicePorts(serviceObject),
                type,
                ...(ip ? {ips: [ip]} : {}),
                ...(serviceObject.spec.sessionAffinity ? {sessionAffinity: serviceObject.spec.sessionAffinity} : {}),
                ...(serviceObject.spec.sessionAffinityConfig ? {sessionAffinityConfig: serviceObject.spec.sessionAffinityConfig} : {}),
              },
              status: {clusters: [{cluster: clusterId}]},
            }
          }
        }
      }
    }

    return {exportObject, key, localImport, namespace, service, serviceObject, valid}
  }

  /** The IP other clusters reach a ClusterIP service at: its ClusterIP, or its global IP with Globalnet. */
  #serviceIp(service: ServiceObject): string | undefined {
    if (!this.#settings.globalnet) return service.spec.clusterIP
    const ingress = this.#caches.globalIngressIPs
      ?.list()
      .find((gip) => gip.metadata.namespace === service.metadata.namespace && gip.spec?.target === 'ClusterIPService' && gip.spec.serviceRef?.name === service.metadata.name)
    return ingress?.status?.allocatedIP || undefined
  }

  async #syncLocalImport(plan: Plan): Promise<void> {
    const name = localImportName(plan.service, plan.namespace, this.#settings.clusterId)
    const existing = this.#caches.imports.get(`${this.#settings.namespace}/${name}`)
    if (!plan.localImport) {
      if (existing) await this.#local.delete(Resources.ServiceImport, name, this.#settings.namespace)
      return
    }

    await upsert(this.#local, existing, plan.localImport)
  }

  /**
   * This cluster's place in the broker's aggregate: joins it (creating it, with the clusterset IP,
   * when first), updates its timestamp and affinity, or leaves it (deleting it when last). Returns
   * the aggregate as it left it, and the conflict, if the aggregate has another type or is malformed.
   */
  async #syncAggregate(plan: Plan): Promise<{conflict?: string; aggregate?: ServiceImport}> {
    const {brokerNamespace, clusterId} = this.#settings
    const name = aggregateName(plan.service, plan.namespace)
    const timestampKey = ANNOTATION_TIMESTAMP_PREFIX + validObjectName(clusterId).slice(0, 63)
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
      try {
        if (!plan.localImport) {
          if (!current || !member) return {}
          const remaining = clusters.filter((entry) => entry.cluster !== clusterId)
          if (remaining.length === 0) {
            await this.#broker.delete(Resources.ServiceImport, name, brokerNamespace, {preconditions: {resourceVersion: current.metadata.resourceVersion}})
            for (const ip of current.spec.ips ?? []) await this.#clustersetIPs.release(ip, plan.key)
            this.#log.info('removed the aggregated ServiceImport (no cluster exports it any more)', {service: plan.key})
            return {}
          }

          const {[timestampKey]: _removed, ...annotations} = current.metadata.annotations ?? {}
          const updated = await this.#broker.update<ServiceImport>({...current, metadata: {...current.metadata, annotations}})
          await this.#broker.update<ServiceImport>({...updated, status: {clusters: remaining}}, 'status')
          return {}
        }

        const local = plan.localImport
        const timestamp = exportTimestamp(plan.exportObject?.metadata.creationTimestamp)
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
              ...(local.spec.sessionAffinity ? {sessionAffinity: local.spec.sessionAffinity} : {}),
              ...(local.spec.sessionAffinityConfig ? {sessionAffinityConfig: local.spec.sessionAffinityConfig} : {}),
            },
          })
          const aggregate = await this.#broker.update<ServiceImport>({...created, status: {clusters: [{cluster: clusterId}]}}, 'status')
          this.#log.info('created the aggregated ServiceImport on the broker', {service: plan.key})
          return {aggregate}
        }

        if (current.spec.type !== local.spec.type) {
          return {conflict: `The local service type ("${local.spec.type}") does not match the type ("${current.spec.type}") of the existing exported service`}
        }

        const annotations = {...current.metadata.annotations, [timestampKey]: timestamp}
        if (local.spec.type === 'ClusterSetIP' && annotations[ANNOTATION_USE_CLUSTERSET_IP] === undefined) annotations[ANNOTATION_USE_CLUSTERSET_IP] = 'false'
        // The oldest exporter's session affinity wins.
        const oldest = oldestCluster(annotations)
        const spec = oldest === validObjectName(clusterId).slice(0, 63)
          ? {...current.spec, sessionAffinity: local.spec.sessionAffinity, sessionAffinityConfig: local.spec.sessionAffinityConfig}
          : current.spec
        let updated = current
        if (canonical(annotations) !== canonical(current.metadata.annotations) || canonical(spec) !== canonical(current.spec)) {
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

  /** This cluster's Lighthouse EndpointSlices for the service, in its namespace. */
  async #syncLocalSlices(plan: Plan, exported: boolean): Promise<EndpointSlice[]> {
    const {clusterId} = this.#settings
    const mine = this.#caches.slices
      .indexed(plan.key)
      .filter(
        (slice) =>
          slice.metadata.namespace === plan.namespace &&
          slice.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE &&
          slice.metadata.labels?.[LABEL_SOURCE_CLUSTER] === clusterId &&
          slice.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service &&
          !slice.metadata.labels?.[CLUSTER_ID_LABEL],
      )
    const wanted = exported && plan.localImport && plan.serviceObject ? this.#desiredSlices(plan, plan.localImport, plan.serviceObject) : []
    const result: EndpointSlice[] = []
    for (const desired of wanted) {
      const identity = desired.metadata.labels?.[LABEL_SOURCE_NAME]
      const existing = mine.find((slice) => slice.metadata.labels?.[LABEL_SOURCE_NAME] === identity)
      if (existing) {
        const next = {...desired, metadata: {...desired.metadata, generateName: undefined, name: existing.metadata.name}}
        result.push(sliceDiffers(existing, next) ? await this.#local.update<EndpointSlice>({...next, metadata: {...next.metadata, resourceVersion: existing.metadata.resourceVersion}}) : existing)
      } else {
        result.push(await this.#local.create<EndpointSlice>(desired))
      }
    }

    for (const stale of mine.filter((slice) => !result.some((kept) => kept.metadata.name === slice.metadata.name))) {
      await this.#local.delete(Resources.EndpointSlice, stale.metadata.name as string, plan.namespace)
    }

    return result
  }

  #desiredSlices(plan: Plan, localImport: ServiceImport, service: ServiceObject): EndpointSlice[] {
    const {clusterId} = this.#settings
    const k8sSlices = this.#caches.slices
      .indexed(plan.key)
      .filter((slice) => slice.metadata.namespace === plan.namespace && slice.metadata.labels?.[LABEL_K8S_SERVICE_NAME] === plan.service && slice.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_LIGHTHOUSE)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    // Service labels reach slices through Kubernetes; carry over those outside kubernetes.io.
    const userLabels = (slice: EndpointSlice | undefined) => Object.fromEntries(Object.entries(slice?.metadata.labels ?? {}).filter(([key]) => !key.includes('kubernetes.io/')))
    const headless = localImport.spec.type === 'Headless'
    const base = (sourceName: string, slice: EndpointSlice | undefined) => ({
      annotations: {
        [ANNOTATION_GLOBALNET_ENABLED]: String(headless && this.#settings.globalnet),
        [ANNOTATION_PUBLISH_NOT_READY]: String(service.spec.publishNotReadyAddresses ?? false),
      },
      generateName: `${plan.service}-`,
      labels: {
        ...userLabels(slice),
        [LABEL_IS_HEADLESS]: String(headless),
        [LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE,
        [LABEL_SERVICE_NAME]: plan.service,
        [LABEL_SOURCE_CLUSTER]: clusterId,
        [LABEL_SOURCE_NAME]: sourceName,
        [LABEL_SOURCE_NAMESPACE]: plan.namespace,
      },
      namespace: plan.namespace,
    })

    if (!headless) {
      // One endpoint: the service's IP, ready when any backend is (nil counts as ready).
      const ready = k8sSlices.some((slice) => (slice.endpoints ?? []).some((endpoint) => endpoint.conditions?.ready !== false))
      return [
        {
          addressType: k8sSlices[0]?.addressType ?? 'IPv4',
          apiVersion: 'discovery.k8s.io/v1',
          endpoints: [{addresses: [localImport.spec.ips?.[0] ?? ''], conditions: {ready}}],
          kind: 'EndpointSlice',
          metadata: base(plan.service, k8sSlices[0]),
          ports: localImport.spec.ports.map((port) => ({name: port.name ?? '', port: port.port, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? {appProtocol: port.appProtocol} : {})})),
        },
      ]
    }

    return k8sSlices.map((slice) => ({
      addressType: slice.addressType,
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: (slice.endpoints ?? []).map((endpoint) => ({...endpoint})),
      kind: 'EndpointSlice',
      metadata: base(slice.metadata.name as string, slice),
      ports: slice.ports ?? [],
    }))
  }

  /** The broker copies of this cluster's slices (same names); returns whether all are there. */
  async #syncBrokerSlices(plan: Plan, localSlices: EndpointSlice[]): Promise<boolean> {
    const {brokerNamespace, clusterId} = this.#settings
    const onBroker = this.#caches.brokerSlices
      .indexed(plan.key)
      .filter(
        (slice) =>
          slice.metadata.labels?.[LABEL_SOURCE_CLUSTER] === clusterId &&
          slice.metadata.labels?.[LABEL_SOURCE_NAMESPACE] === plan.namespace &&
          slice.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service,
      )
    for (const slice of localSlices) {
      const copy: EndpointSlice = {
        ...slice,
        metadata: {
          annotations: slice.metadata.annotations ?? {},
          labels: {...slice.metadata.labels, [CLUSTER_ID_LABEL]: clusterId, [LABEL_ORIGINATING_NAMESPACE]: plan.namespace},
          name: slice.metadata.name,
          namespace: brokerNamespace,
        },
      }
      const existing = onBroker.find((candidate) => candidate.metadata.name === slice.metadata.name)
      if (!existing) await this.#broker.create(copy).catch((error: unknown) => (isAlreadyExists(error) ? undefined : Promise.reject(error)))
      else if (sliceDiffers(existing, copy)) await this.#broker.update({...copy, metadata: {...copy.metadata, resourceVersion: existing.metadata.resourceVersion}})
    }

    for (const stale of onBroker.filter((slice) => !localSlices.some((kept) => kept.metadata.name === slice.metadata.name))) {
      await this.#broker.delete(Resources.EndpointSlice, stale.metadata.name as string, brokerNamespace)
    }

    return localSlices.length > 0
  }

  /**
   * Aggregate ports: the union by name of every exporter's slice ports, oldest exporter first.
   * `aggregate` is the version syncAggregate last read or wrote, so no read is needed here.
   */
  async #syncAggregatePorts(plan: Plan, aggregate: ServiceImport): Promise<void> {
    if (aggregate.spec.type !== 'ClusterSetIP') return
    const ports = unionPorts(this.#portsByCluster(plan, aggregate).map(([, clusterPorts]) => clusterPorts))
    if (samePorts(ports, aggregate.spec.ports)) return
    await this.#broker.update<ServiceImport>({...aggregate, spec: {...aggregate.spec, ports}}).catch((error: unknown) => {
      if (!isConflict(error)) throw error
      throw new Error('the aggregated ServiceImport changed meanwhile; retrying')
    })
  }

  /** Each exporting cluster's ports (from its first slice on the broker), oldest exporter first. */
  #portsByCluster(plan: Plan, aggregate: ServiceImport): Array<[string, Array<{name?: string; protocol?: string; port: number; appProtocol?: string}>]> {
    const annotations = aggregate.metadata.annotations ?? {}
    const clusters = Object.keys(annotations)
      .filter((key) => key.startsWith(ANNOTATION_TIMESTAMP_PREFIX))
      .sort((a, b) => {
        const difference = BigInt(annotations[a] ?? 0) - BigInt(annotations[b] ?? 0)
        return difference === 0n ? a.localeCompare(b) : difference < 0n ? -1 : 1
      })
      .map((key) => key.slice(ANNOTATION_TIMESTAMP_PREFIX.length))
    return clusters.flatMap((cluster) => {
      const slice = this.#caches.brokerSlices
        .indexed(plan.key)
        .find(
          (candidate) =>
            validObjectName(candidate.metadata.labels?.[LABEL_SOURCE_CLUSTER] ?? '') === cluster &&
            candidate.metadata.labels?.[LABEL_SOURCE_NAMESPACE] === plan.namespace &&
            candidate.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service,
        )
      return slice ? [[cluster, (slice.ports ?? []).map((port) => ({name: port.name, port: port.port ?? 0, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? {appProtocol: port.appProtocol} : {})}))]] : []
    })
  }

  async #updateExportStatus(plan: Plan, state: {onBroker: boolean; typeConflict: string | undefined}): Promise<void> {
    const exported = plan.exportObject
    if (!exported) return
    let conditions = exported.status?.conditions
    if (plan.valid) conditions = withCondition(conditions, plan.valid)
    if (!plan.localImport) {
      if (conditions?.some((entry) => entry.type === 'Ready')) conditions = withCondition(conditions, condition('Ready', 'False', 'NoServiceImport', 'ServiceImport was deleted'))
    } else if (state.typeConflict) {
      conditions = withCondition(conditions, condition('Ready', 'False', 'ExportFailed', 'Unable to export due to an irresolvable conflict'))
    } else if (state.onBroker) {
      conditions = withCondition(conditions, condition('Ready', 'True', 'Exported', 'Service was successfully exported to the broker'))
    } else {
      conditions = withCondition(conditions, condition('Ready', 'False', 'AwaitingExport', 'ServiceImport created - awaiting aggregation on the broker'))
    }

    conditions = withConflict(conditions, 'ConflictingType', state.typeConflict)
    conditions = withConflict(conditions, 'ConflictingPorts', this.#portConflict(plan))
    if (canonical(conditions) === canonical(exported.status?.conditions)) return
    try {
      await this.#local.update<ServiceExport>({...exported, status: {...exported.status, conditions}}, 'status')
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error
      if (isConflict(error)) throw new Error('the ServiceExport changed meanwhile; retrying')
    }
  }

  /** A message when the exporting clusters' ports differ (reference/lighthouse.md §2.5), else undefined. */
  #portConflict(plan: Plan): string | undefined {
    if (!plan.localImport || plan.localImport.spec.type !== 'ClusterSetIP') return undefined
    const aggregate = this.#caches.brokerImports.get(`${this.#settings.brokerNamespace}/${aggregateName(plan.service, plan.namespace)}`)
    if (!aggregate) return undefined
    const byCluster = this.#portsByCluster(plan, aggregate)
    if (byCluster.length < 2 || byCluster.every(([, ports]) => samePorts(ports, byCluster[0]?.[1] ?? []))) return undefined
    const merged = aggregate.spec.ips?.length ? unionPorts(byCluster.map(([, ports]) => ports)) : byCluster[0]?.[1] ?? []
    return `The service ports conflict between the constituent clusters [${byCluster.map(([cluster]) => cluster).join(', ')}]. The service will expose the ${aggregate.spec.ips?.length ? 'union' : 'intersection'} of all the ports: ${describePorts(merged)}`
  }

  /**
   * The consumer side: the imported ServiceImport `<svc>` in `<ns>` (only where the namespace
   * exists, and never in a protected one) and the other clusters' slices.
   */
  async #syncImported(plan: Plan): Promise<void> {
    const {brokerNamespace, clusterId, namespace: submarinerNamespace} = this.#settings
    const aggregate = this.#caches.brokerImports.get(`${brokerNamespace}/${aggregateName(plan.service, plan.namespace)}`)
    const annotations = aggregate?.metadata.annotations ?? {}
    const problem = aggregate ? aggregateProblem(aggregate) : undefined
    if (problem) this.#log.warn('refusing a malformed aggregated ServiceImport from the broker', {name: aggregate?.metadata.name, problem, service: plan.key})
    const genuine = aggregate !== undefined && !problem && annotations[LABEL_SERVICE_NAME] === plan.service && annotations[LABEL_SOURCE_NAMESPACE] === plan.namespace
    const allowed = importableNamespace(plan.namespace, {brokerNamespace, submarinerNamespace}) && this.#caches.namespaces.get(plan.namespace) !== undefined
    const existing = this.#caches.imports.get(plan.key)
    const imported = existing && !existing.metadata.labels?.[LABEL_SERVICE_NAME] ? existing : undefined
    if (genuine && allowed && aggregate) {
      const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => !ROUTING_ANNOTATIONS.includes(key)))
      await upsert(this.#local, imported, {
        apiVersion: 'multicluster.x-k8s.io/v1alpha1',
        kind: 'ServiceImport',
        metadata: {annotations: kept, name: plan.service, namespace: plan.namespace},
        spec: knownImportSpec(aggregate.spec),
        status: {clusters: (aggregate.status?.clusters ?? []).map((entry) => ({cluster: entry.cluster}))},
      })
    } else if (imported) {
      await this.#local.delete(Resources.ServiceImport, plan.service, plan.namespace)
    }

    const remote = genuine && allowed
      ? this.#caches.brokerSlices
          .indexed(plan.key)
          .filter(
            (slice) =>
              slice.metadata.labels?.[LABEL_SOURCE_NAMESPACE] === plan.namespace &&
              slice.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service &&
              slice.metadata.labels?.[LABEL_SOURCE_CLUSTER] !== clusterId,
          )
      : []
    const copies = this.#caches.slices
      .indexed(plan.key)
      .filter(
        (slice) =>
          slice.metadata.namespace === plan.namespace &&
          slice.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE &&
          slice.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service &&
          slice.metadata.labels?.[CLUSTER_ID_LABEL] !== undefined &&
          slice.metadata.labels?.[CLUSTER_ID_LABEL] !== clusterId,
      )
    for (const slice of remote) {
      const copy: EndpointSlice = {...slice, metadata: {annotations: slice.metadata.annotations ?? {}, labels: slice.metadata.labels ?? {}, name: slice.metadata.name, namespace: plan.namespace}}
      const existingCopy = copies.find((candidate) => candidate.metadata.name === slice.metadata.name)
      if (!existingCopy) await this.#local.create(copy).catch((error: unknown) => (isAlreadyExists(error) ? undefined : Promise.reject(error)))
      else if (sliceDiffers(existingCopy, copy)) await this.#local.update({...copy, metadata: {...copy.metadata, resourceVersion: existingCopy.metadata.resourceVersion}})
    }

    for (const stale of copies.filter((copy) => !remote.some((slice) => slice.metadata.name === copy.metadata.name))) {
      await this.#local.delete(Resources.EndpointSlice, stale.metadata.name as string, plan.namespace)
    }
  }
}

/** The cluster whose timestamp annotation is smallest (ties by name). */
function oldestCluster(annotations: Record<string, string>): string | undefined {
  let oldest: [string, bigint] | undefined
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(ANNOTATION_TIMESTAMP_PREFIX)) continue
    const cluster = key.slice(ANNOTATION_TIMESTAMP_PREFIX.length)
    const stamp = BigInt(value)
    if (!oldest || stamp < oldest[1] || (stamp === oldest[1] && cluster < oldest[0])) oldest = [cluster, stamp]
  }

  return oldest?.[0]
}

function sliceDiffers(existing: EndpointSlice, wanted: EndpointSlice): boolean {
  return (
    canonical(existing.metadata.labels) !== canonical(wanted.metadata.labels) ||
    canonical(existing.metadata.annotations ?? {}) !== canonical(wanted.metadata.annotations ?? {}) ||
    canonical(existing.endpoints ?? []) !== canonical(wanted.endpoints ?? []) ||
    canonical(existing.ports ?? []) !== canonical(wanted.ports ?? []) ||
    existing.addressType !== wanted.addressType
  )
}

/** Creates or updates a ServiceImport, status included (a subresource). */
async function upsert(client: KubeClient, existing: ServiceImport | undefined, wanted: ServiceImport): Promise<void> {
  if (!existing) {
    try {
      const created = await client.create<ServiceImport>({...wanted, status: undefined} as ServiceImport)
      await client.update<ServiceImport>({...created, status: wanted.status}, 'status')
    } catch (error) {
      if (!isAlreadyExists(error)) throw error
      throw new Error(`ServiceImport ${wanted.metadata.namespace}/${wanted.metadata.name} appeared meanwhile; retrying`)
    }

    return
  }

  let current = existing
  const metadataChanged =
    canonical(existing.metadata.labels ?? {}) !== canonical(wanted.metadata.labels ?? {}) || canonical(existing.metadata.annotations ?? {}) !== canonical(wanted.metadata.annotations ?? {})
  if (metadataChanged || canonical(existing.spec) !== canonical(wanted.spec)) {
    current = await client.update<ServiceImport>({...existing, metadata: {...existing.metadata, annotations: wanted.metadata.annotations, labels: wanted.metadata.labels}, spec: wanted.spec})
  }

  if (canonical(existing.status ?? {}) !== canonical(wanted.status ?? {})) await client.update<ServiceImport>({...current, status: wanted.status}, 'status')
}
