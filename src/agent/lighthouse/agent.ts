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
 * server restart or a missed event is repaired by the same reconcile. The decisions are pure
 * functions in lib/lighthouse-plan.ts; the broker aggregate's membership is aggregate.ts.
 */
import {
  LABEL_ORIGINATING_NAMESPACE,
  LABEL_SERVICE_NAME,
  LABEL_SOURCE_NAME,
  LABEL_SOURCE_NAMESPACE,
  type EndpointSlice,
  type ServiceExport,
  type ServiceImport,
  type ServiceObject,
} from '../../api/mcs.js'
import {CLUSTER_ID_LABEL} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists, isConflict, isNotFound} from '../../k8s/errors.js'
import type {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {aggregateProblem, knownImportSpec} from '../../lib/broker-objects.js'
import {sameContent} from '../../lib/canonical.js'
import {ANNOTATION_HEADLESS_ENDPOINTS_IP} from '../../lib/globalnet/naming.js'
import {aggregateName, importableNamespace, localImportName} from '../../lib/lighthouse.js'
import {
  desiredSlices,
  exportConditions,
  globalSliceOf,
  keysOf,
  planService,
  slicesOf,
  portConflict,
  portsByCluster,
  recordConflicts,
  type LighthouseSettings,
  type ServicePlan,
} from '../../lib/lighthouse-plan.js'
import {mirrorDiffers, mirrorOf, syncMirrors} from '../runtime/mirror.js'
import type {Logger} from '../runtime/log.js'
import {Aggregates} from './aggregate.js'

export type {LighthouseSettings} from '../../lib/lighthouse-plan.js'

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

/** Keys that mark a per-cluster import or an aggregate: an imported copy never carries them. */
const ROUTING_KEYS = [LABEL_SERVICE_NAME, LABEL_SOURCE_NAMESPACE]

export class LighthouseAgent {
  readonly #local: KubeClient
  readonly #broker: KubeClient
  readonly #caches: LighthouseCaches
  readonly #settings: LighthouseSettings
  readonly #log: Logger
  readonly #aggregates: Aggregates

  constructor(options: {local: KubeClient; broker: KubeClient; caches: LighthouseCaches; settings: LighthouseSettings; log: Logger}) {
    this.#local = options.local
    this.#broker = options.broker
    this.#caches = options.caches
    this.#settings = options.settings
    this.#log = options.log
    this.#aggregates = new Aggregates({broker: options.broker, caches: options.caches, log: options.log, settings: options.settings})
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
    const {aggregate, conflict: typeConflict} = await this.#aggregates.sync(plan)
    const exported = plan.localImport !== undefined && !typeConflict
    const localSlices = await this.#syncLocalSlices(plan, exported)
    const onBroker = await this.#syncBrokerSlices(plan, localSlices)
    if (exported && aggregate) await this.#aggregates.syncPorts(plan, aggregate)
    const recorded = aggregate ? recordConflicts(aggregate, this.#settings.clusterId) : {}
    await this.#updateExportStatus(plan, {onBroker, recorded, typeConflict})
    await this.#syncImported(plan)
  }

  #plan(key: string): ServicePlan | undefined {
    const serviceObject = this.#caches.services.get(key)
    return planService(key, {exportObject: this.#caches.exports.get(key), serviceIp: serviceObject ? this.#serviceIp(serviceObject) : undefined, serviceObject}, this.#settings)
  }

  /** The IP other clusters reach a ClusterIP service at: its ClusterIP, or its global IP with Globalnet. */
  #serviceIp(service: ServiceObject): string | undefined {
    if (!this.#settings.globalnet) return service.spec.clusterIP
    const ingress = this.#caches.globalIngressIPs
      ?.list()
      .find((gip) => gip.metadata.namespace === service.metadata.namespace && gip.spec?.target === 'ClusterIPService' && gip.spec.serviceRef?.name === service.metadata.name)
    return ingress?.status?.allocatedIP || undefined
  }

  async #syncLocalImport(plan: ServicePlan): Promise<void> {
    const name = localImportName(plan.service, plan.namespace, this.#settings.clusterId)
    const existing = this.#caches.imports.get(`${this.#settings.namespace}/${name}`)
    if (!plan.localImport) {
      if (existing) await this.#local.delete(Resources.ServiceImport, name, this.#settings.namespace)
      return
    }

    await upsert(this.#local, existing, plan.localImport)
  }

  /** This cluster's Lighthouse EndpointSlices for the service, in its namespace. */
  async #syncLocalSlices(plan: ServicePlan, exported: boolean): Promise<EndpointSlice[]> {
    const {clusterId} = this.#settings
    const slices = this.#caches.slices.indexed(plan.key)
    const mine = slicesOf.exported(slices, plan, clusterId)
    const wanted = exported && plan.localImport && plan.serviceObject ? desiredSlices(plan, plan.localImport, plan.serviceObject, slicesOf.kubernetes(slices, plan), this.#settings) : []
    const result: EndpointSlice[] = []
    for (const desired of wanted) {
      const identity = desired.metadata.labels?.[LABEL_SOURCE_NAME]
      const existing = mine.find((slice) => slice.metadata.labels?.[LABEL_SOURCE_NAME] === identity)
      if (existing) {
        const next = {...desired, metadata: {...desired.metadata, generateName: undefined, name: existing.metadata.name}}
        result.push(mirrorDiffers(existing, next) ? await this.#local.update<EndpointSlice>({...next, metadata: {...next.metadata, resourceVersion: existing.metadata.resourceVersion}}) : existing)
      } else {
        result.push(await this.#local.create<EndpointSlice>(desired))
      }
    }

    for (const stale of mine.filter((slice) => !result.some((kept) => kept.metadata.name === slice.metadata.name))) {
      await this.#local.delete(Resources.EndpointSlice, stale.metadata.name as string, plan.namespace)
    }

    return result
  }

  /** The broker copies of this cluster's slices (same names); returns whether all are there. */
  async #syncBrokerSlices(plan: ServicePlan, localSlices: EndpointSlice[]): Promise<boolean> {
    const {brokerNamespace, clusterId} = this.#settings
    const onBroker = slicesOf.onBroker(this.#caches.brokerSlices.indexed(plan.key), plan, clusterId, 'mine')
    const published = this.#settings.globalnet && plan.localImport ? localSlices.flatMap((slice) => globalSliceOf(slice, plan.localImport as ServiceImport, (endpoint, address) => this.#globalIpOf(plan, endpoint, address)) ?? []) : localSlices
    const copies = published.map((slice) => mirrorOf(slice, brokerNamespace, {[CLUSTER_ID_LABEL]: clusterId, [LABEL_ORIGINATING_NAMESPACE]: plan.namespace}))
    await syncMirrors(this.#broker, Resources.EndpointSlice, brokerNamespace, onBroker, copies)
    return localSlices.length > 0
  }

  /** A headless backend's global IP: its pod's GlobalIngressIP, or the one of its Endpoints address. */
  #globalIpOf(plan: ServicePlan, endpoint: {targetRef?: {kind?: string; name?: string}}, address: string): string | undefined {
    const ingress = this.#caches.globalIngressIPs?.list().filter((gip) => gip.metadata.namespace === plan.namespace) ?? []
    const match =
      endpoint.targetRef?.kind === 'Pod'
        ? ingress.find((gip) => gip.spec?.target === 'HeadlessServicePod' && gip.spec.podRef?.name === endpoint.targetRef?.name)
        : ingress.find((gip) => gip.spec?.target === 'HeadlessServiceEndpoints' && gip.spec.serviceRef?.name === plan.service && gip.metadata.annotations?.[ANNOTATION_HEADLESS_ENDPOINTS_IP] === address)
    return match?.status?.allocatedIP || undefined
  }

  async #updateExportStatus(plan: ServicePlan, state: {onBroker: boolean; typeConflict: string | undefined; recorded: {type?: string; metadata?: string}}): Promise<void> {
    const exported = plan.exportObject
    if (!exported) return
    const conditions = exportConditions(plan, {...state, portConflict: this.#portConflict(plan)})
    if (sameContent(conditions, exported.status?.conditions)) return
    try {
      await this.#local.update<ServiceExport>({...exported, status: {...exported.status, conditions}}, 'status')
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error
      if (isConflict(error)) throw new Error('the ServiceExport changed meanwhile; retrying')
    }
  }

  /** The conflict between the exporting clusters' ports, for a ClusterSetIP export. */
  #portConflict(plan: ServicePlan): string | undefined {
    if (!plan.localImport || plan.localImport.spec.type !== 'ClusterSetIP') return undefined
    const aggregate = this.#caches.brokerImports.get(`${this.#settings.brokerNamespace}/${aggregateName(plan.service, plan.namespace)}`)
    return aggregate ? portConflict(aggregate, portsByCluster(plan, aggregate, this.#caches.brokerSlices.indexed(plan.key))) : undefined
  }

  /**
   * The consumer side: the imported ServiceImport `<svc>` in `<ns>` (only where the namespace
   * exists, and never in a protected one) and the other clusters' slices.
   */
  async #syncImported(plan: ServicePlan): Promise<void> {
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
      // Only what the oldest export names in exportedLabels and exportedAnnotations (KEP 1645).
      const winner = recordConflicts(aggregate, clusterId).winner
      const exported = (entries: Record<string, string> | undefined) => Object.fromEntries(Object.entries(entries ?? {}).filter(([key]) => !ROUTING_KEYS.includes(key)))
      await upsert(this.#local, imported, {
        apiVersion: 'multicluster.x-k8s.io/v1alpha1',
        kind: 'ServiceImport',
        metadata: {annotations: exported(winner?.annotations), labels: exported(winner?.labels), name: plan.service, namespace: plan.namespace},
        spec: knownImportSpec(aggregate.spec),
        status: {clusters: (aggregate.status?.clusters ?? []).map((entry) => ({cluster: entry.cluster}))},
      })
    } else if (imported) {
      await this.#local.delete(Resources.ServiceImport, plan.service, plan.namespace)
    }

    const remote = genuine && allowed ? slicesOf.onBroker(this.#caches.brokerSlices.indexed(plan.key), plan, clusterId, 'theirs') : []
    const copies = slicesOf.imported(this.#caches.slices.indexed(plan.key), plan, clusterId)
    await syncMirrors(this.#local, Resources.EndpointSlice, plan.namespace, copies, remote.map((slice) => mirrorOf(slice, plan.namespace)))
  }
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
  const metadataChanged = !sameContent(existing.metadata.labels ?? {}, wanted.metadata.labels ?? {}) || !sameContent(existing.metadata.annotations ?? {}, wanted.metadata.annotations ?? {})
  if (metadataChanged || !sameContent(existing.spec, wanted.spec)) {
    current = await client.update<ServiceImport>({...existing, metadata: {...existing.metadata, annotations: wanted.metadata.annotations, labels: wanted.metadata.labels}, spec: wanted.spec})
  }

  if (!sameContent(existing.status ?? {}, wanted.status ?? {})) await client.update<ServiceImport>({...current, status: wanted.status}, 'status')
}
