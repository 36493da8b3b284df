/**
 * What Globalnet wants, as pure functions of what the caches hold (reference/dataplane.md §5):
 * the GlobalIngressIPs that the exported services call for, the internal Service that carries a
 * ClusterIP service's global IP, the pods a GlobalEgressIP covers, and the nat rules of each chain.
 */
import type {ServiceObject} from '../../api/mcs.js'
import type {GlobalIngressIP, KubeObject, LabelSelector, PodObject} from '../../api/submariner.js'
import {
  ANNOTATION_HEADLESS_ENDPOINTS_IP,
  ANNOTATION_HEADLESS_POD_IP,
  CHAINS,
  EGRESS_ORDER,
  endpointsIngressName,
  GLOBALNET_MARK,
  internalServiceName,
  LABEL_CLONED_FROM,
  LABEL_EXPORTED_SERVICE_REF,
  LABEL_SERVICE_REF,
  podIngressName,
} from './naming.js'
import {snatTarget} from './ipam.js'

/** core/v1 Endpoints, the parts Globalnet reads. */
export interface EndpointsObject extends KubeObject {
  subsets?: Array<{addresses?: Array<{ip: string}>; notReadyAddresses?: Array<{ip: string}>; ports?: Array<{name?: string; port: number; protocol?: string}>}>
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: LabelSelector | undefined): boolean {
  if (!selector) return true
  const own = labels ?? {}
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (own[key] !== value) return false
  for (const expression of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(own, expression.key)
    const inValues = present && (expression.values ?? []).includes(own[expression.key] as string)
    if (expression.operator === 'In' && !inValues) return false
    if (expression.operator === 'NotIn' && inValues) return false
    if (expression.operator === 'Exists' && !present) return false
    if (expression.operator === 'DoesNotExist' && present) return false
  }

  return true
}

/** A pod with an address of its own on the pod network (not host network, not finished). */
export function podIp(pod: PodObject): string | undefined {
  if (pod.spec?.hostNetwork || pod.metadata.deletionTimestamp) return undefined
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined
  return pod.status?.podIP || undefined
}

const isHeadless = (service: ServiceObject) => service.spec.clusterIP === 'None'
const isClusterIp = (service: ServiceObject) => (service.spec.type ?? 'ClusterIP') === 'ClusterIP' && !isHeadless(service)

/**
 * The GlobalIngressIPs the exports call for, without status: one per exported ClusterIP service,
 * one per backing pod of an exported headless service with a selector (running, or any with an
 * address when it publishes not-ready addresses), one per address of a selector-less one's Endpoints.
 */
export function desiredIngress(input: {
  exports: Array<{namespace: string; name: string}>
  services: (key: string) => ServiceObject | undefined
  podsIn: (namespace: string) => PodObject[]
  endpoints: (key: string) => EndpointsObject | undefined
}): GlobalIngressIP[] {
  const wanted: GlobalIngressIP[] = []
  const object = (namespace: string, name: string, spec: GlobalIngressIP['spec'], service: string, annotations?: Record<string, string>): GlobalIngressIP => ({
    apiVersion: 'submariner.io/v1',
    kind: 'GlobalIngressIP',
    metadata: {...(annotations ? {annotations} : {}), labels: {[LABEL_SERVICE_REF]: service}, name, namespace},
    spec,
  })
  for (const {namespace, name} of input.exports) {
    const service = input.services(`${namespace}/${name}`)
    if (!service) continue
    if (isClusterIp(service)) {
      wanted.push(object(namespace, name, {serviceRef: {name}, target: 'ClusterIPService'}, name))
    } else if (isHeadless(service) && service.spec.selector && Object.keys(service.spec.selector).length > 0) {
      for (const pod of input.podsIn(namespace)) {
        const ip = podIp(pod)
        if (!ip || !matchesSelector(pod.metadata.labels, {matchLabels: service.spec.selector})) continue
        if (pod.status?.phase !== 'Running' && !service.spec.publishNotReadyAddresses) continue
        const podName = pod.metadata.name as string
        wanted.push(object(namespace, podIngressName(podName), {podRef: {name: podName}, serviceRef: {name}, target: 'HeadlessServicePod'}, name, {[ANNOTATION_HEADLESS_POD_IP]: ip}))
      }
    } else if (isHeadless(service)) {
      const ips = new Set((input.endpoints(`${namespace}/${name}`)?.subsets ?? []).flatMap((subset) => [...(subset.addresses ?? []), ...(service.spec.publishNotReadyAddresses ? (subset.notReadyAddresses ?? []) : [])].map((address) => address.ip)))
      for (const ip of [...ips].sort()) wanted.push(object(namespace, endpointsIngressName(name, ip), {serviceRef: {name}, target: 'HeadlessServiceEndpoints'}, name, {[ANNOTATION_HEADLESS_ENDPOINTS_IP]: ip}))
    }
  }

  return wanted
}

/** The address a headless GlobalIngressIP translates to. */
export function ingressTargetIp(ingress: GlobalIngressIP): string | undefined {
  const annotations = ingress.metadata.annotations ?? {}
  return annotations[ANNOTATION_HEADLESS_POD_IP] ?? annotations[ANNOTATION_HEADLESS_ENDPOINTS_IP]
}

/**
 * The internal Service of an exported ClusterIP service: kube-proxy DNATs its externalIP, the
 * global IP, to the service's backends on the gateway. A selector-less service also gets its
 * Endpoints cloned under the internal name.
 */
export function internalService(service: ServiceObject, globalIp: string): KubeObject {
  const name = internalServiceName(service.metadata.name as string)
  const namespace = service.metadata.namespace as string
  const labels = {[LABEL_EXPORTED_SERVICE_REF]: service.metadata.name as string}
  const ports = (service.spec.ports ?? []).map((port) => ({name: port.name, port: port.port, protocol: port.protocol ?? 'TCP', ...(port.targetPort === undefined ? {} : {targetPort: port.targetPort})}))
  const selector = service.spec.selector && Object.keys(service.spec.selector).length > 0 ? service.spec.selector : undefined
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {labels, name, namespace},
    spec: {externalIPs: [globalIp], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports, ...(selector ? {selector} : {})},
  } as KubeObject
}

/** The Endpoints clone of a selector-less service's Endpoints, for its internal Service. */
export function clonedEndpoints(service: ServiceObject, endpoints: EndpointsObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {labels: {[LABEL_CLONED_FROM]: service.metadata.name as string}, name: internalServiceName(service.metadata.name as string), namespace: service.metadata.namespace},
    subsets: endpoints.subsets ?? [],
  } as KubeObject
}

export interface EgressState {
  /** The remote clusters' global CIDRs: traffic to them is marked and translated. */
  remoteGlobalCidrs: string[]
  /** The local cluster and service CIDRs, translated by the cluster's egress IPs. */
  localCidrs: string[]
  clusterEgressIps: string[]
  /** GlobalEgressIPs: their ipset, whether they select pods, and their IPs. */
  egressSets: Array<{set: string; podSelector: boolean; ips: string[]}>
  /** Headless GlobalIngressIPs: each backend's own address and its global IP. */
  headless: Array<{target: 'HeadlessServicePod' | 'HeadlessServiceEndpoints'; localIp: string; globalIp: string}>
  /** This gateway's health-check global IP, answered by its CNI address (reference/dataplane.md §5.5). */
  healthCheck?: {globalIp: string; cniIp: string}
}

export type ChainRules = Record<string, string[][]>

/** Every rule of every Globalnet nat chain, written as `iptables -S` prints them (so that a steady state compares equal). */
export function natRules(state: EgressState): ChainRules {
  const snat = (ips: string[]) => ['-m', 'mark', '--mark', GLOBALNET_MARK, '-j', 'SNAT', '--to-source', snatTarget(ips)]
  const byName = (a: {set: string}, b: {set: string}) => a.set.localeCompare(b.set)
  const sets = (selectsPods: boolean) =>
    state.egressSets
      .filter((entry) => entry.podSelector === selectsPods && entry.ips.length > 0)
      .sort(byName)
      .map((entry) => ['-m', 'set', '--match-set', entry.set, 'src', ...snat(entry.ips)])
  const headless = (target: EgressState['headless'][number]['target']) =>
    state.headless
      .filter((entry) => entry.target === target)
      .sort((a, b) => a.localIp.localeCompare(b.localIp))
      .map((entry) => ['-s', `${entry.localIp}/32`, ...snat([entry.globalIp])])
  return {
    [CHAINS.ingress]: [
      ...(state.healthCheck ? [['-d', `${state.healthCheck.globalIp}/32`, '-p', 'icmp', '-j', 'DNAT', '--to-destination', state.healthCheck.cniIp]] : []),
      ...[...state.headless].sort((a, b) => a.globalIp.localeCompare(b.globalIp)).map((entry) => ['-d', `${entry.globalIp}/32`, '-j', 'DNAT', '--to-destination', entry.localIp]),
    ],
    [CHAINS.egress]: EGRESS_ORDER.map((chain) => ['-j', chain]),
    [CHAINS.mark]: [...state.remoteGlobalCidrs].sort().map((cidr) => ['-d', cidr, '-j', 'MARK', '--set-xmark', GLOBALNET_MARK]),
    [CHAINS.podEgress]: sets(true),
    [CHAINS.headlessPodsEgress]: headless('HeadlessServicePod'),
    [CHAINS.headlessEndpointsEgress]: headless('HeadlessServiceEndpoints'),
    [CHAINS.namespaceEgress]: sets(false),
    [CHAINS.clusterEgress]: state.clusterEgressIps.length > 0 ? state.localCidrs.map((cidr) => ['-s', cidr, ...snat(state.clusterEgressIps)]) : [],
  }
}
