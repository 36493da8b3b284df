/**
 * Globalnet's one level-triggered reconcile (reference/dataplane.md §5), run on the work queue
 * under the key "globalnet" by the node that leads: it gives the ClusterGlobalEgressIP, the
 * GlobalEgressIPs and the GlobalIngressIPs their addresses and says so in their status, makes the
 * GlobalIngressIPs the exports call for and the internal Services that carry the ClusterIP ones,
 * and programs the nat chains. A node that does not lead only keeps its chains empty.
 */
import type {ServiceExport, ServiceObject} from '../../api/mcs.js'
import type {ClusterGlobalEgressIP, Condition, Endpoint, Gateway, GlobalEgressIP, GlobalIngressIP} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists, isConflict, isNotFound} from '../../k8s/errors.js'
import type {Informer} from '../../k8s/informer.js'
import type {KubeObject, PodObject} from '../../k8s/objects.js'
import {Resources, type ResourceType} from '../../k8s/resources.js'
import {sameContent} from '../../lib/canonical.js'
import {parseCidr, overlaps} from '../../lib/cidr.js'
import {validObjectName} from '../../lib/cluster-id.js'
import {newestPerCluster} from '../../lib/endpoints.js'
import {ANNOTATION_GATEWAY_GLOBAL_IP, CLUSTER_EGRESS_NAME, DEFAULT_CLUSTER_EGRESS_IPS, egressIpsetName, LABEL_CLONED_FROM, LABEL_EXPORTED_SERVICE_REF, LABEL_SERVICE_REF} from '../../lib/globalnet/naming.js'
import {clonedEndpoints, desiredIngress, ingressTargetIp, internalService, matchesSelector, natRules, podIp, type EgressState, type EndpointsObject} from '../../lib/globalnet/plan.js'
import type {AgentEnvironment} from '../config.js'
import type {Logger} from '../runtime/log.js'
import {syncMirrors} from '../runtime/mirror.js'
import {Allocations, globalnetCondition, type OwnerKind} from './allocations.js'
import type {GlobalnetDataplane} from './dataplane.js'

export interface GlobalnetCaches {
  clusterEgress: Informer<ClusterGlobalEgressIP>
  egress: Informer<GlobalEgressIP>
  ingress: Informer<GlobalIngressIP>
  exports: Informer<ServiceExport>
  services: Informer<ServiceObject>
  endpoints: Informer<EndpointsObject>
  pods: Informer<PodObject>
  submarinerEndpoints: Informer<Endpoint>
  gateways: Informer<Gateway>
}

const MAX_IPS = 20
const RESYNC_MS = 30_000

export class GlobalnetReconciler {
  leading = false
  /** Set once per leadership: the statuses have been reserved back into the pool. */
  #allocations: Allocations | undefined
  #flushed = false
  /** This node's address on the pod network, once it has one (the health check's DNAT target). */
  #cniIp: string | undefined
  /** Each GlobalEgressIP's pod selector when first seen: it cannot change (upstream's rule). */
  readonly #selectors = new Map<string, string>()

  constructor(
    readonly options: {client: KubeClient; caches: GlobalnetCaches; dataplane: GlobalnetDataplane; env: AgentEnvironment; globalCidr: string; log: Logger; cniIp: () => Promise<string | undefined>; onConverged?: (allocations: Allocations) => void},
  ) {}

  /** The node of the active local Endpoint, as far as the cache knows. */
  activeGatewayNode(): string | undefined {
    return newestPerCluster(this.options.caches.submarinerEndpoints.list()).get(this.options.env.clusterId)?.spec.hostname
  }

  isActiveGateway(): boolean {
    return this.activeGatewayNode() === this.options.env.nodeName
  }

  async reconcile(): Promise<{requeueAfterMs: number}> {
    if (!this.leading) {
      this.#allocations = undefined
      if (!this.#flushed) {
        await this.options.dataplane.flush()
        this.#flushed = true
        this.options.log.info('not the leader: the Globalnet chains are empty here')
      }

      return {requeueAfterMs: RESYNC_MS}
    }

    this.#flushed = false
    const allocations = this.#allocations ?? this.#restore()
    this.#allocations = allocations
    await this.#ensureClusterEgressObject()
    const clusterEgressIps = await this.#allocateClusterEgress(allocations)
    const egressSets = await this.#allocateEgress(allocations)
    await this.#syncIngressObjects()
    const headless = await this.#allocateIngress(allocations)
    const healthCheck = await this.#allocateGateways(allocations)
    allocations.releaseAllBut(this.#owners())
    await this.#syncInternalServices(allocations)

    const {env} = this.options
    const state: EgressState = {
      clusterEgressIps,
      egressSets: egressSets.map(({ips, podSelector, set}) => ({ips, podSelector, set})),
      headless,
      localCidrs: [...env.clusterCIDRs, ...env.serviceCIDRs],
      remoteGlobalCidrs: this.#remoteGlobalCidrs(),
      ...(healthCheck ? {healthCheck} : {}),
    }
    await this.options.dataplane.program(natRules(state), new Map(egressSets.map((entry) => [entry.set, entry.members])))
    this.options.onConverged?.(allocations)
    return {requeueAfterMs: RESYNC_MS}
  }

  /** The remote clusters' global CIDRs, from their newest Endpoints; one overlapping ours is ignored. */
  #remoteGlobalCidrs(): string[] {
    const own = parseCidr(this.options.globalCidr)
    const remotes = [...newestPerCluster(this.options.caches.submarinerEndpoints.list()).values()].filter((endpoint) => endpoint.spec.cluster_id !== this.options.env.clusterId)
    const cidrs = remotes.flatMap((endpoint) => endpoint.spec.subnets).filter((subnet) => {
      const cidr = parseCidr(subnet)
      return cidr !== undefined && !(own && overlaps(cidr, own))
    })
    return [...new Set(cidrs)]
  }

  /** A new leader takes back what the statuses record before it gives out anything new. */
  #restore(): Allocations {
    const allocations = new Allocations(this.options.globalCidr)
    const {caches, log} = this.options
    const restore = (owner: string, kind: OwnerKind, ips: string[] | undefined) => {
      const problem = allocations.restore(owner, kind, ips ?? [])
      if (problem) log.warn('could not reserve the recorded global IPs; allocating new ones', {owner, problem})
    }
    for (const object of caches.clusterEgress.list()) if (object.metadata.name === CLUSTER_EGRESS_NAME) restore(ownerOf('cluster-egress', object), 'cluster-egress', object.status?.allocatedIPs)
    for (const object of caches.egress.list()) restore(ownerOf('egress', object), 'egress', object.status?.allocatedIPs)
    for (const object of caches.ingress.list()) restore(ownerOf('ingress', object), 'ingress', object.status?.allocatedIP ? [object.status.allocatedIP] : [])
    for (const object of caches.gateways.list()) {
      const ip = object.metadata.annotations?.[ANNOTATION_GATEWAY_GLOBAL_IP]
      restore(ownerOf('gateway', object), 'gateway', ip ? [ip] : [])
    }
    log.info('leading Globalnet: reserved the recorded global IPs', {allocated: allocations.pool.allocated, cidr: this.options.globalCidr})
    return allocations
  }

  #owners(): Set<string> {
    const {caches} = this.options
    return new Set([
      ...caches.clusterEgress.list().filter((object) => object.metadata.name === CLUSTER_EGRESS_NAME).map((object) => ownerOf('cluster-egress', object)),
      ...caches.egress.list().map((object) => ownerOf('egress', object)),
      ...caches.ingress.list().map((object) => ownerOf('ingress', object)),
      ...(this.options.env.healthCheck.enabled ? caches.gateways.list().map((object) => ownerOf('gateway', object)) : []),
    ])
  }

  async #ensureClusterEgressObject(): Promise<void> {
    if (this.options.caches.clusterEgress.get(CLUSTER_EGRESS_NAME)) return
    await this.options.client
      .create<ClusterGlobalEgressIP>({apiVersion: 'submariner.io/v1', kind: 'ClusterGlobalEgressIP', metadata: {name: CLUSTER_EGRESS_NAME}, spec: {numGlobalIPs: DEFAULT_CLUSTER_EGRESS_IPS}})
      .catch((error: unknown) => (isAlreadyExists(error) ? undefined : Promise.reject(error)))
  }

  /** The cluster's egress IPs; another ClusterGlobalEgressIP is refused with InvalidInstance. */
  async #allocateClusterEgress(allocations: Allocations): Promise<string[]> {
    let ips: string[] = []
    for (const object of this.options.caches.clusterEgress.list()) {
      if (object.metadata.name !== CLUSTER_EGRESS_NAME) {
        await this.#writeStatus(Resources.ClusterGlobalEgressIP, object, {allocatedIPs: undefined}, ['False', 'InvalidInstance', `Only the ClusterGlobalEgressIP named ${CLUSTER_EGRESS_NAME} is supported`])
        continue
      }

      ips = await this.#allocateCount(allocations, Resources.ClusterGlobalEgressIP, object, 'cluster-egress', object.spec?.numGlobalIPs ?? 1)
    }

    return ips
  }

  /** Each GlobalEgressIP's IPs and the pods its ipset holds. */
  async #allocateEgress(allocations: Allocations): Promise<Array<{set: string; podSelector: boolean; ips: string[]; members: string[]}>> {
    const {caches} = this.options
    const result = []
    const seen = new Set<string>()
    for (const object of caches.egress.list()) {
      const key = `${object.metadata.namespace}/${object.metadata.name}`
      seen.add(key)
      const selector = JSON.stringify(object.spec?.podSelector ?? null)
      const first = this.#selectors.get(key) ?? selector
      this.#selectors.set(key, first)
      const ips = await this.#allocateCount(allocations, Resources.GlobalEgressIP, object, 'egress', object.spec?.numberOfIPs ?? 1, first === selector ? undefined : ['False', 'PodSelectorUpdateNotSupported', 'The podSelector of a GlobalEgressIP cannot be changed: delete it and create it anew'])
      const members = caches.pods
        .list()
        .filter((pod) => pod.metadata.namespace === object.metadata.namespace && matchesSelector(pod.metadata.labels, object.spec?.podSelector))
        .flatMap((pod) => podIp(pod) ?? [])
      result.push({ips, members: [...new Set(members)].sort(), podSelector: object.spec?.podSelector !== undefined, set: egressIpsetName(object.metadata.namespace as string, object.metadata.name as string)})
    }

    for (const key of this.#selectors.keys()) if (!seen.has(key)) this.#selectors.delete(key)
    return result
  }

  /** Allocates `count` IPs to an egress object and writes its status; returns its IPs (none when refused). */
  async #allocateCount(allocations: Allocations, type: ResourceType, object: ClusterGlobalEgressIP | GlobalEgressIP, kind: OwnerKind, count: number, refusal?: [string, string, string]): Promise<string[]> {
    const owner = ownerOf(kind, object)
    const field = type === Resources.ClusterGlobalEgressIP ? 'numGlobalIPs' : 'numberOfIPs'
    if (refusal) {
      const ips = allocations.get(owner) ?? []
      await this.#writeStatus(type, object, {allocatedIPs: ips}, refusal as ['False', string, string], 'Updated')
      return ips
    }

    if (count === 0) {
      allocations.release(owner)
      await this.#writeStatus(type, object, {allocatedIPs: undefined}, ['False', 'ZeroInput', `The specified ${field} is zero`])
      return []
    }

    if (!Number.isInteger(count) || count < 0 || count > MAX_IPS) {
      allocations.release(owner)
      await this.#writeStatus(type, object, {allocatedIPs: undefined}, ['False', 'InvalidInput', `The specified ${field} (${count}) must be between 0 and ${MAX_IPS}`])
      return []
    }

    let ips: string[]
    try {
      ips = allocations.ensure(owner, kind, count)
    } catch (error) {
      await this.#writeStatus(type, object, {allocatedIPs: undefined}, ['False', 'IPPoolAllocationFailed', `Error allocating the global IP(s) from the pool: ${(error as Error).message}`])
      return []
    }

    await this.#writeStatus(type, object, {allocatedIPs: ips}, ['True', 'Success', `Allocated ${count} global IP(s)`])
    return ips
  }

  /** The GlobalIngressIPs the exports call for, made, updated and deleted in each namespace. */
  async #syncIngressObjects(): Promise<void> {
    const {caches, client} = this.options
    const wanted = byNamespace(
      desiredIngress({
        endpoints: (key) => caches.endpoints.get(key),
        exports: caches.exports.list().map((object) => ({name: object.metadata.name as string, namespace: object.metadata.namespace as string})),
        podsIn: (namespace) => caches.pods.list().filter((pod) => pod.metadata.namespace === namespace),
        services: (key) => caches.services.get(key),
      }),
    )
    const existing = byNamespace(caches.ingress.list().filter((object) => object.metadata.labels?.[LABEL_SERVICE_REF]))
    for (const namespace of new Set([...wanted.keys(), ...existing.keys()])) {
      await syncMirrors(client, Resources.GlobalIngressIP, namespace, existing.get(namespace) ?? [], wanted.get(namespace) ?? [])
    }
  }

  /** One IP per GlobalIngressIP; returns the headless ones' translations. */
  async #allocateIngress(allocations: Allocations): Promise<EgressState['headless']> {
    const headless: EgressState['headless'] = []
    for (const object of this.options.caches.ingress.list()) {
      const owner = ownerOf('ingress', object)
      let ip: string | undefined
      try {
        ip = allocations.ensure(owner, 'ingress', 1)[0]
      } catch (error) {
        await this.#writeStatus(Resources.GlobalIngressIP, object, {allocatedIP: undefined}, ['False', 'IPPoolAllocationFailed', `Error allocating a global IP from the pool: ${(error as Error).message}`])
        continue
      }

      await this.#writeStatus(Resources.GlobalIngressIP, object, {allocatedIP: ip}, ['True', 'Success', 'Allocated global IP'])

      const localIp = ingressTargetIp(object)
      if (ip && localIp && object.spec.target !== 'ClusterIPService') headless.push({globalIp: ip, localIp, target: object.spec.target})
    }

    return headless
  }

  /**
   * This node's Gateway gets a global IP in its annotation once its CNI address is known (reference
   * /dataplane.md §5.5): the gateway engine advertises it as its health check IP, and this node
   * DNATs it to that address. Other Gateways keep the IPs their annotations record, reserved.
   * Returns this node's IP and CNI address.
   */
  async #allocateGateways(allocations: Allocations): Promise<EgressState['healthCheck']> {
    if (!this.options.env.healthCheck.enabled) return undefined
    this.#cniIp ??= await this.options.cniIp()
    let own: EgressState['healthCheck']
    for (const gateway of this.options.caches.gateways.list()) {
      const owner = ownerOf('gateway', gateway)
      const recorded = gateway.metadata.annotations?.[ANNOTATION_GATEWAY_GLOBAL_IP]
      if (gateway.metadata.name !== validObjectName(this.options.env.nodeName) || !this.#cniIp) {
        if (recorded && !allocations.get(owner)) allocations.restore(owner, 'gateway', [recorded])
        continue
      }

      let ip: string | undefined
      try {
        ip = allocations.ensure(owner, 'gateway', 1)[0]
      } catch (error) {
        this.options.log.warn('no global IP left for the Gateway’s health check', {error, gateway: gateway.metadata.name})
      }

      if (!ip) continue
      if (recorded !== ip) {
        // An update, as upstream's (its RBAC has no patch); a stale cache copy conflicts and is retried.
        await this.options.client.update<Gateway>({...gateway, metadata: {...gateway.metadata, annotations: {...gateway.metadata.annotations, [ANNOTATION_GATEWAY_GLOBAL_IP]: ip}}}).catch((error: unknown) => {
          if (isConflict(error)) throw new Error(`the Gateway ${gateway.metadata.name} changed meanwhile; retrying`)
          if (!isNotFound(error)) throw error
        })
      }

      own = {cniIp: this.#cniIp, globalIp: ip}
    }

    return own
  }

  /** The internal Service (and Endpoints clone) of each allocated ClusterIP GlobalIngressIP. */
  async #syncInternalServices(allocations: Allocations): Promise<void> {
    const {caches, client} = this.options
    const services: KubeObject[] = []
    const endpoints: KubeObject[] = []
    for (const ingress of caches.ingress.list()) {
      if (ingress.spec.target !== 'ClusterIPService' || !ingress.spec.serviceRef) continue
      const key = `${ingress.metadata.namespace}/${ingress.spec.serviceRef.name}`
      const service = caches.services.get(key)
      const ip = allocations.get(ownerOf('ingress', ingress))?.[0]
      if (!service || !ip) continue
      services.push(internalService(service, ip))
      const source = caches.endpoints.get(key)
      if (!service.spec.selector && source) endpoints.push(clonedEndpoints(service, source))
    }

    const internal = caches.services.list().filter((service) => service.metadata.labels?.[LABEL_EXPORTED_SERVICE_REF])
    for (const wanted of services) {
      const current = internal.find((service) => service.metadata.namespace === wanted.metadata.namespace && service.metadata.name === wanted.metadata.name)
      if (!current || !sameInternalService(current, wanted as ServiceObject)) await client.apply(wanted)
    }

    for (const stale of internal.filter((service) => !services.some((wanted) => wanted.metadata.namespace === service.metadata.namespace && wanted.metadata.name === service.metadata.name))) {
      await client.delete(Resources.Service, stale.metadata.name as string, stale.metadata.namespace)
    }

    const clones = byNamespace(caches.endpoints.list().filter((object) => object.metadata.labels?.[LABEL_CLONED_FROM]))
    const wantedClones = byNamespace(endpoints)
    for (const namespace of new Set([...clones.keys(), ...wantedClones.keys()])) {
      await syncMirrors(client, Resources.Endpoints, namespace, clones.get(namespace) ?? [], wantedClones.get(namespace) ?? [])
    }
  }

  /** Writes a status (the IPs and one condition) unless it already says exactly that. */
  async #writeStatus(type: ResourceType, object: KubeObject & {status?: {conditions?: Condition[]}}, fields: Record<string, unknown>, [status, reason, message]: [string, string, string], conditionType = 'Allocated'): Promise<void> {
    const previous = object.status?.conditions
    const condition = globalnetCondition(conditionType, status as 'True' | 'False', reason, message, previous)
    const conditions = [...(previous ?? []).filter((entry) => entry.type !== conditionType), condition].sort((a, b) => a.type.localeCompare(b.type))
    const next = {...object.status, ...fields, conditions}
    for (const [key, value] of Object.entries(next)) if (value === undefined) delete (next as Record<string, unknown>)[key]
    if (sameContent(next, object.status ?? {})) return
    try {
      await this.options.client.update({...object, status: next}, 'status')
    } catch (error) {
      if (isNotFound(error)) return
      if (isConflict(error)) throw new Error(`the ${type.kind} ${object.metadata.name} changed meanwhile; retrying`)
      throw error
    }
  }
}

/** Objects by namespace (Map.groupBy arrives only with Node 21). */
function byNamespace<T extends KubeObject>(objects: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const object of objects) {
    const namespace = object.metadata.namespace as string
    groups.set(namespace, [...(groups.get(namespace) ?? []), object])
  }

  return groups
}

const ownerOf = (kind: OwnerKind, object: KubeObject) => `${kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`

/** Whether an internal Service already says what we want (the server fills in much else). */
function sameInternalService(current: ServiceObject, wanted: ServiceObject): boolean {
  const ports = (service: ServiceObject) => (service.spec.ports ?? []).map((port) => ({name: port.name ?? '', port: port.port, protocol: port.protocol ?? 'TCP', targetPort: port.targetPort ?? port.port}))
  return (
    sameContent(current.spec.externalIPs ?? [], wanted.spec.externalIPs ?? []) &&
    sameContent(ports(current), ports(wanted)) &&
    sameContent(current.spec.selector ?? {}, wanted.spec.selector ?? {}) &&
    sameContent(current.metadata.labels ?? {}, wanted.metadata.labels ?? {})
  )
}
