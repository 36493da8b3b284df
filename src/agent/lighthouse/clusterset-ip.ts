/**
 * Clusterset-IP allocation that two services can never share (issue 14). Picking the lowest free
 * address from a cache is not enough: four reconciles of one agent, or two agents of one cluster
 * (a rolling update), see the same cache. So an address is taken by creating an atomic record on
 * the broker, an EndpointSlice named after the address: the API server lets only one create of a
 * name succeed. The slice carries a managed-by label of its own, so no Lighthouse informer (ours
 * or upstream's, which select managed-by=lighthouse-agent) ever sees it, and the cluster's broker
 * account may already write EndpointSlices there (no new RBAC).
 *
 * A record whose owner never created its aggregate (an agent that died in between) is taken over
 * after STALE_RESERVATION_MS; the aggregate's deletion releases its address.
 */
import {ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY, LABEL_MANAGED_BY, type EndpointSlice} from '../../api/mcs.js'
import type {KubeClient} from '../../k8s/client.js'
import {isAlreadyExists, isConflict, isNotFound} from '../../k8s/errors.js'
import {Resources} from '../../k8s/resources.js'
import {addressAt, cidrSize, containsIp, parseCidr} from '../../lib/cidr.js'
import type {Logger} from '../runtime/log.js'

export const MANAGED_BY_CLUSTERSET_IP = 'clusterset-ip.lighthouse.submariner.io'
export const ANNOTATION_RESERVED_FOR = 'lighthouse.submariner.io/clusterset-ip-reserved-for'
const STALE_RESERVATION_MS = 60_000

export const reservationName = (ip: string): string => `clusterset-ip-${ip.replaceAll(':', '-')}`

export class ClustersetIPAllocator {
  readonly #broker: KubeClient
  readonly #namespace: string
  readonly #clusterId: string
  readonly #cidrText: string
  readonly #inUse: () => Iterable<string>
  readonly #log: Logger
  /** Addresses a reconcile of this agent is trying right now: the others skip them. */
  readonly #trying = new Set<string>()

  constructor(options: {broker: KubeClient; brokerNamespace: string; clusterId: string; cidr: string; inUse: () => Iterable<string>; log: Logger}) {
    this.#broker = options.broker
    this.#namespace = options.brokerNamespace
    this.#clusterId = options.clusterId
    this.#cidrText = options.cidr
    this.#inUse = options.inUse
    this.#log = options.log
  }

  /**
   * Reserves an address for `service` ("ns/name") on the broker: the lowest free one of the pool,
   * or the one this service already holds. Undefined when the pool is exhausted.
   */
  async reserve(service: string): Promise<string | undefined> {
    const cidr = parseCidr(this.#cidrText)
    if (!cidr) return undefined
    const used = new Set([...this.#inUse()].filter((ip) => containsIp(cidr, ip)))
    for (let offset = 1; offset < cidrSize(cidr) - 1; offset++) {
      const candidate = addressAt(cidr, offset)
      if (used.has(candidate) || this.#trying.has(candidate)) continue
      this.#trying.add(candidate)
      try {
        if (await this.#take(candidate, service)) return candidate
      } finally {
        this.#trying.delete(candidate)
      }
    }

    this.#log.warn('the clusterset-IP pool is exhausted', {cidr: this.#cidrText, service})
    return undefined
  }

  /** Releases an address of the pool, if the record still says `service` holds it (any holder when undefined). */
  async release(ip: string, service?: string): Promise<void> {
    const record = await this.#broker.tryGet<EndpointSlice>(Resources.EndpointSlice, reservationName(ip), this.#namespace)
    if (!record || (service !== undefined && record.metadata.annotations?.[ANNOTATION_RESERVED_FOR] !== service)) return
    try {
      await this.#broker.delete(Resources.EndpointSlice, reservationName(ip), this.#namespace, {preconditions: {resourceVersion: record.metadata.resourceVersion}})
    } catch (error) {
      // Changed since read: someone else holds it now, and it is theirs to release.
      if (!isConflict(error)) throw error
    }
  }

  /** True when `ip` is now reserved for `service`. */
  async #take(ip: string, service: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.#broker.create<EndpointSlice>(this.#record(ip, service))
        return true
      } catch (error) {
        if (!isAlreadyExists(error)) throw error
      }

      const record = await this.#broker.tryGet<EndpointSlice>(Resources.EndpointSlice, reservationName(ip), this.#namespace)
      if (!record) continue
      if (record.metadata.annotations?.[ANNOTATION_RESERVED_FOR] === service) return true
      const age = Date.now() - (Date.parse(record.metadata.creationTimestamp ?? '') || Date.now())
      // The cache does not show it in use: a holder that lives creates its aggregate well within this.
      if (age < STALE_RESERVATION_MS) return false
      this.#log.info('taking over a stale clusterset-IP reservation', {ip, owner: record.metadata.annotations?.[ANNOTATION_RESERVED_FOR], service})
      try {
        await this.#broker.delete(Resources.EndpointSlice, record.metadata.name as string, this.#namespace, {preconditions: {resourceVersion: record.metadata.resourceVersion}})
      } catch (error) {
        if (!isConflict(error) && !isNotFound(error)) throw error
        return false
      }
    }

    return false
  }

  #record(ip: string, service: string): EndpointSlice {
    return {
      addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: [{addresses: [ip]}],
      kind: 'EndpointSlice',
      metadata: {
        annotations: {[ANNOTATION_CLUSTERSET_IP_ALLOCATED_BY]: this.#clusterId, [ANNOTATION_RESERVED_FOR]: service},
        labels: {[LABEL_MANAGED_BY]: MANAGED_BY_CLUSTERSET_IP},
        name: reservationName(ip),
        namespace: this.#namespace,
      },
    }
  }
}
