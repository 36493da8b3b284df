/**
 * The Lighthouse agent's planning as pure functions of what its caches hold (reference/lighthouse.md
 * §2): which service an object is about, whether an export is valid and the per-cluster import it
 * makes, the EndpointSlices that represent it, each exporter's ports, and the export's conditions.
 * agent/lighthouse/agent.ts reads the caches, calls these, and writes the difference.
 */
import {
  ANNOTATION_EXPORT_PREFIX,
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
  type ServiceImportSpec,
  type ServiceObject,
  type ServicePort,
} from '../api/mcs.js'
import {CLUSTER_ID_LABEL, type Condition} from '../api/submariner.js'
import {validServiceKey} from './broker-objects.js'
import {sameContent} from './canonical.js'
import {validObjectName} from './cluster-id.js'
import {
  condition,
  describePorts,
  importableNamespace,
  importType,
  localImportName,
  samePorts,
  servicePorts,
  unexportableNamespaceMessage,
  unionPorts,
  withCondition,
  withConflict,
} from './lighthouse.js'

export interface LighthouseSettings {
  clusterId: string
  /** The Submariner namespace, where per-cluster ServiceImports live. */
  namespace: string
  brokerNamespace: string
  globalnet: boolean
  clustersetIPCIDR: string
  clustersetIPEnabled: boolean
}

/** What keysOf reads of an object. */
export interface ObjectRef {
  kind?: string
  metadata: {name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>}
}

/** The service keys ("ns/name") an object is about: what a change of it queues. */
export function keysOf(object: ObjectRef, settings: Pick<LighthouseSettings, 'brokerNamespace'>): string[] {
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

/** One service as the caches show it, and what this cluster exports of it. */
export interface ServicePlan {
  key: string
  service: string
  namespace: string
  exportObject: ServiceExport | undefined
  serviceObject: ServiceObject | undefined
  /** The export's Valid condition; undefined without an export. */
  valid: Condition | undefined
  /** The per-cluster ServiceImport `<svc>-<ns>-<cid>`, when the export is valid. */
  localImport: ServiceImport | undefined
}

/**
 * Whether the export is valid, and the per-cluster import it makes. `serviceIp` is the address other
 * clusters reach a ClusterIP service at: its ClusterIP, or its global IP with Globalnet (undefined
 * until allocated).
 */
export function planService(
  key: string,
  objects: {exportObject: ServiceExport | undefined; serviceObject: ServiceObject | undefined; serviceIp: string | undefined},
  settings: LighthouseSettings,
): ServicePlan | undefined {
  const [namespace = '', service = ''] = key.split('/')
  if (!namespace || !service) return undefined
  const {exportObject, serviceObject, serviceIp} = objects
  const plan: ServicePlan = {exportObject, key, localImport: undefined, namespace, service, serviceObject, valid: undefined}
  if (!exportObject) return plan
  if (!importableNamespace(namespace, {brokerNamespace: settings.brokerNamespace, submarinerNamespace: settings.namespace})) {
    // Every other cluster would decline it without a word: refuse it here, on the export.
    return {...plan, valid: condition('Valid', 'False', 'NamespaceNotExportable', unexportableNamespaceMessage(namespace))}
  }

  if (!serviceObject) return {...plan, valid: condition('Valid', 'False', 'ServiceUnavailable', "Service to be exported doesn't exist")}
  const type = importType(serviceObject)
  if (!type) return {...plan, valid: condition('Valid', 'False', 'UnsupportedServiceType', `Service of type ${serviceObject.spec.type} not supported`)}
  const ip = type === 'ClusterSetIP' ? serviceIp : undefined
  if (type === 'ClusterSetIP' && settings.globalnet && !ip) {
    return {...plan, valid: condition('Valid', 'False', 'ServiceGlobalIPUnavailable', "Service doesn't have a global IP yet")}
  }

  const useClustersetIP = exportObject.metadata.annotations?.[ANNOTATION_USE_CLUSTERSET_IP]
  const localImport: ServiceImport = {
    apiVersion: 'multicluster.x-k8s.io/v1alpha1',
    kind: 'ServiceImport',
    metadata: {
      annotations: {
        [ANNOTATION_PUBLISH_NOT_READY]: String(serviceObject.spec.publishNotReadyAddresses ?? false),
        ...(useClustersetIP ? {[ANNOTATION_USE_CLUSTERSET_IP]: useClustersetIP} : {}),
      },
      labels: {[LABEL_ORIGINATING_NAMESPACE]: namespace, [LABEL_SERVICE_NAME]: service, [LABEL_SOURCE_CLUSTER]: settings.clusterId, [LABEL_SOURCE_NAMESPACE]: namespace},
      name: localImportName(service, namespace, settings.clusterId),
      namespace: settings.namespace,
    },
    spec: {
      ports: type === 'Headless' ? [] : servicePorts(serviceObject),
      type,
      ...(ip ? {ips: [ip]} : {}),
      ...(serviceObject.spec.sessionAffinity ? {sessionAffinity: serviceObject.spec.sessionAffinity} : {}),
      ...(serviceObject.spec.sessionAffinityConfig ? {sessionAffinityConfig: serviceObject.spec.sessionAffinityConfig} : {}),
      ...(serviceObject.spec.ipFamilies?.length ? {ipFamilies: serviceObject.spec.ipFamilies} : {}),
      ...(serviceObject.spec.internalTrafficPolicy ? {internalTrafficPolicy: serviceObject.spec.internalTrafficPolicy} : {}),
      ...(serviceObject.spec.trafficDistribution ? {trafficDistribution: serviceObject.spec.trafficDistribution} : {}),
    },
    status: {clusters: [{cluster: settings.clusterId}]},
  }
  return {...plan, localImport, valid: condition('Valid', 'True', 'Valid', 'Service is valid for export')}
}

/**
 * The Lighthouse EndpointSlices that represent this cluster's export (without names: they are
 * created with generateName): one with the service's IP for a ClusterIP service, one per Kubernetes
 * slice for a headless one. `k8sSlices` are the service's own slices, sorted by name.
 */
export function desiredSlices(plan: ServicePlan, localImport: ServiceImport, service: ServiceObject, k8sSlices: EndpointSlice[], settings: LighthouseSettings): EndpointSlice[] {
  // Service labels reach slices through Kubernetes; carry over those outside kubernetes.io.
  const userLabels = (slice: EndpointSlice | undefined) => Object.fromEntries(Object.entries(slice?.metadata.labels ?? {}).filter(([key]) => !key.includes('kubernetes.io/')))
  const headless = localImport.spec.type === 'Headless'
  const base = (sourceName: string, slice: EndpointSlice | undefined) => ({
    annotations: {
      [ANNOTATION_GLOBALNET_ENABLED]: String(headless && settings.globalnet),
      [ANNOTATION_PUBLISH_NOT_READY]: String(service.spec.publishNotReadyAddresses ?? false),
    },
    generateName: `${plan.service}-`,
    labels: {
      ...userLabels(slice),
      [LABEL_IS_HEADLESS]: String(headless),
      [LABEL_MANAGED_BY]: MANAGED_BY_LIGHTHOUSE,
      [LABEL_SERVICE_NAME]: plan.service,
      [LABEL_SOURCE_CLUSTER]: settings.clusterId,
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
        // With Globalnet this cluster's own clients get the ClusterIP; the broker copy carries the global IP.
        endpoints: [{addresses: [(settings.globalnet ? service.spec.clusterIP : localImport.spec.ips?.[0]) ?? ''], conditions: {ready}}],
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

/**
 * The broker copy of a local slice under Globalnet (reference/lighthouse.md §2.6): other clusters
 * reach the export at global IPs, so each address becomes its global IP: the service's for a
 * ClusterIP export, each backend's own for a headless one. A headless slice with a backend that has
 * no global IP yet is left out until it has one, as upstream's.
 */
export function globalSliceOf(slice: EndpointSlice, localImport: ServiceImport, globalIpOf: (endpoint: NonNullable<EndpointSlice['endpoints']>[number], address: string) => string | undefined): EndpointSlice | undefined {
  if (localImport.spec.type !== 'Headless') {
    const ip = localImport.spec.ips?.[0]
    return ip ? {...slice, endpoints: (slice.endpoints ?? []).map((endpoint) => ({...endpoint, addresses: [ip]}))} : undefined
  }

  const endpoints = []
  for (const endpoint of slice.endpoints ?? []) {
    const addresses = endpoint.addresses.map((address) => globalIpOf(endpoint, address))
    if (addresses.some((address) => address === undefined)) return undefined
    endpoints.push({...endpoint, addresses: addresses as string[]})
  }

  return {...slice, endpoints}
}

/** The aggregate's fields that the oldest export decides (reference/lighthouse.md §2.5). */
const WINNING_FIELDS = ['sessionAffinity', 'sessionAffinityConfig', 'ipFamilies', 'internalTrafficPolicy', 'trafficDistribution'] as const

/** The fields of a cluster's import that it gives the aggregate when its export is the oldest. */
export function winningSpecOf(local: ServiceImport): Partial<ServiceImportSpec> {
  return Object.fromEntries(WINNING_FIELDS.flatMap((field) => (local.spec[field] === undefined ? [] : [[field, local.spec[field]]])))
}

/** The aggregate's spec with the oldest export's session affinity, IP families and traffic policies. */
export function withWinningSpec(spec: ServiceImportSpec, local: ServiceImport): ServiceImportSpec {
  const kept = Object.fromEntries(Object.entries(spec).filter(([field]) => !(WINNING_FIELDS as readonly string[]).includes(field))) as unknown as ServiceImportSpec
  return {...kept, ...winningSpecOf(local)}
}

/** What one cluster's export says, as its record on the broker's aggregate holds it. */
export interface ExportRecord {
  type: ServiceImportSpec['type']
  labels: Record<string, string>
  annotations: Record<string, string>
}

/** A cluster's ID as the aggregate's per-cluster annotation keys (timestamp, export record) name it. */
export const annotationClusterName = (clusterId: string): string => validObjectName(clusterId).slice(0, 63)

/** The aggregate annotation holding a cluster's export record. */
export const exportRecordKey = (clusterId: string): string => ANNOTATION_EXPORT_PREFIX + annotationClusterName(clusterId)

export function exportRecordOf(exportObject: ServiceExport | undefined, type: ServiceImportSpec['type']): ExportRecord {
  return {annotations: exportObject?.spec?.exportedAnnotations ?? {}, labels: exportObject?.spec?.exportedLabels ?? {}, type}
}

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string')

/** The export records on an aggregate, by cluster (as its annotation key names it); a malformed one counts as absent. */
export function exportRecords(annotations: Record<string, string>): Map<string, ExportRecord> {
  const records = new Map<string, ExportRecord>()
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(ANNOTATION_EXPORT_PREFIX)) continue
    try {
      const parsed = JSON.parse(value) as Partial<ExportRecord>
      if ((parsed.type === 'ClusterSetIP' || parsed.type === 'Headless') && isStringMap(parsed.labels) && isStringMap(parsed.annotations)) {
        records.set(key.slice(ANNOTATION_EXPORT_PREFIX.length), {annotations: parsed.annotations, labels: parsed.labels, type: parsed.type})
      }
    } catch {
      // Another agent's garbage is not this cluster's conflict: ignored.
    }
  }

  return records
}

/**
 * The conflicts every exporting cluster reports from the aggregate's records (KEP 1645: the oldest
 * export wins, and every export involved says Conflict): a type that differs from the aggregate's,
 * and exported labels or annotations that differ from the oldest export's. `winner` is the oldest
 * export of the aggregate's type, whose exported labels and annotations the imports carry.
 */
export function recordConflicts(aggregate: ServiceImport, clusterId: string): {type?: string; metadata?: string; winner?: ExportRecord} {
  const annotations = aggregate.metadata.annotations ?? {}
  const records = exportRecords(annotations)
  const oldestFirst = exportersOldestFirst(annotations)
  const order = [...oldestFirst, ...[...records.keys()].filter((cluster) => !oldestFirst.includes(cluster)).sort()].filter((cluster) => records.has(cluster))
  const members = order.filter((cluster) => records.get(cluster)?.type === aggregate.spec.type)
  const winnerCluster = members[0]
  const winner = winnerCluster === undefined ? undefined : records.get(winnerCluster)
  const mine = records.get(annotationClusterName(clusterId))
  const result: {type?: string; metadata?: string; winner?: ExportRecord} = winner ? {winner} : {}
  if (!mine || mine.type !== aggregate.spec.type) return result
  const list = `[${order.join(', ')}]`
  if (order.length > members.length) result.type = `The service type conflicts between the constituent clusters ${list}: the type ("${aggregate.spec.type}") of the oldest export is used`
  const differs = members.some((cluster) => {
    const record = records.get(cluster) as ExportRecord
    return !sameContent(record.labels, winner?.labels ?? {}) || !sameContent(record.annotations, winner?.annotations ?? {})
  })
  if (differs) result.metadata = `The exported labels and annotations conflict between the constituent clusters [${members.join(', ')}]: the ones of the oldest export (${winnerCluster}) are used`
  return result
}

/** The exporting clusters in the aggregate's timestamp annotations, oldest first (ties by name). */
export function exportersOldestFirst(annotations: Record<string, string>): string[] {
  return Object.keys(annotations)
    .filter((key) => key.startsWith(ANNOTATION_TIMESTAMP_PREFIX))
    .sort((a, b) => {
      const difference = BigInt(annotations[a] ?? 0) - BigInt(annotations[b] ?? 0)
      return difference === 0n ? a.localeCompare(b) : difference < 0n ? -1 : 1
    })
    .map((key) => key.slice(ANNOTATION_TIMESTAMP_PREFIX.length))
}

/** Each exporting cluster's ports, from its first slice on the broker, oldest exporter first. */
export function portsByCluster(plan: ServicePlan, aggregate: ServiceImport, brokerSlices: EndpointSlice[]): Array<[string, ServicePort[]]> {
  return exportersOldestFirst(aggregate.metadata.annotations ?? {}).flatMap((cluster): Array<[string, ServicePort[]]> => {
    const slice = brokerSlices.find(
      (candidate) =>
        validObjectName(candidate.metadata.labels?.[LABEL_SOURCE_CLUSTER] ?? '') === cluster &&
        candidate.metadata.labels?.[LABEL_SOURCE_NAMESPACE] === plan.namespace &&
        candidate.metadata.labels?.[LABEL_SERVICE_NAME] === plan.service,
    )
    return slice ? [[cluster, (slice.ports ?? []).map((port) => ({name: port.name, port: port.port ?? 0, protocol: port.protocol ?? 'TCP', ...(port.appProtocol ? {appProtocol: port.appProtocol} : {})}))]] : []
  })
}

/** The message of a ports conflict between the exporting clusters (reference/lighthouse.md §2.5), else undefined. */
export function portConflict(aggregate: ServiceImport, byCluster: Array<[string, ServicePort[]]>): string | undefined {
  if (byCluster.length < 2 || byCluster.every(([, ports]) => samePorts(ports, byCluster[0]?.[1] ?? []))) return undefined
  const union = Boolean(aggregate.spec.ips?.length)
  const merged = union ? unionPorts(byCluster.map(([, ports]) => ports)) : byCluster[0]?.[1] ?? []
  return `The service ports conflict between the constituent clusters [${byCluster.map(([cluster]) => cluster).join(', ')}]. The service will expose the ${union ? 'union' : 'intersection'} of all the ports: ${describePorts(merged)}`
}

/** The export's conditions after this reconcile: Valid, Ready and the merged Conflict. */
export function exportConditions(
  plan: ServicePlan,
  state: {onBroker: boolean; typeConflict: string | undefined; portConflict: string | undefined; recorded?: {type?: string; metadata?: string}},
): Condition[] | undefined {
  let conditions = plan.exportObject?.status?.conditions
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

  // typeConflict: this export lost to the aggregate's type; recorded.type: this one won, another lost.
  conditions = withConflict(conditions, 'ConflictingType', state.typeConflict ?? state.recorded?.type)
  conditions = withConflict(conditions, 'ConflictingExportedMetadata', state.recorded?.metadata)
  return withConflict(conditions, 'ConflictingPorts', state.portConflict)
}

/**
 * Which of a service's EndpointSlices (from the caches' per-service index) play which part. The
 * local slices may be Kubernetes' own, this cluster's Lighthouse slices, or copies of other
 * clusters' (which carry the clusterID label); the broker's are every cluster's exports.
 */
export const slicesOf = {
  /** The service's own Kubernetes slices, sorted by name. */
  kubernetes(slices: EndpointSlice[], plan: ServicePlan): EndpointSlice[] {
    return slices
      .filter((slice) => slice.metadata.namespace === plan.namespace && slice.metadata.labels?.[LABEL_K8S_SERVICE_NAME] === plan.service && slice.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY_LIGHTHOUSE)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
  },

  /** This cluster's Lighthouse slices of its export. */
  exported(slices: EndpointSlice[], plan: ServicePlan, clusterId: string): EndpointSlice[] {
    return slices.filter((slice) => {
      const labels = slice.metadata.labels ?? {}
      return slice.metadata.namespace === plan.namespace && labels[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE && labels[LABEL_SOURCE_CLUSTER] === clusterId && labels[LABEL_SERVICE_NAME] === plan.service && !labels[CLUSTER_ID_LABEL]
    })
  },

  /** The local copies of other clusters' slices. */
  imported(slices: EndpointSlice[], plan: ServicePlan, clusterId: string): EndpointSlice[] {
    return slices.filter((slice) => {
      const labels = slice.metadata.labels ?? {}
      return slice.metadata.namespace === plan.namespace && labels[LABEL_MANAGED_BY] === MANAGED_BY_LIGHTHOUSE && labels[LABEL_SERVICE_NAME] === plan.service && labels[CLUSTER_ID_LABEL] !== undefined && labels[CLUSTER_ID_LABEL] !== clusterId
    })
  },

  /** The broker's slices of the service: this cluster's (`mine`) or the other clusters'. */
  onBroker(slices: EndpointSlice[], plan: ServicePlan, clusterId: string, whose: 'mine' | 'theirs'): EndpointSlice[] {
    return slices.filter((slice) => {
      const labels = slice.metadata.labels ?? {}
      return labels[LABEL_SOURCE_NAMESPACE] === plan.namespace && labels[LABEL_SERVICE_NAME] === plan.service && (labels[LABEL_SOURCE_CLUSTER] === clusterId) === (whose === 'mine')
    })
  },
}
