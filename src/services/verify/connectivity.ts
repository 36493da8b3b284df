/**
 * The dataplane specs of `connectivity` and `basic-connectivity` (upstream's `dataplane` label):
 * a connector pod sends data to a listener in the other cluster, which must echo exactly that data
 * back, from and to gateway and non-gateway nodes, from pod and host network, to pod IP and ClusterIP
 * Service; a large payload, told apart from a small one to name MTU problems; and the Gateway's
 * own report of the connection. Listeners are made once per run and place, and shared by specs.
 */
import {OPERATOR_NAMESPACE, type Gateway, type GlobalIngressIP} from '../../api/submariner.js'
import type {ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import type {Verification} from '../../lib/verify-plan.js'
import type {TestCluster} from './cluster.js'
import {connectFrom, startListener, type Listener, type Placement} from './nettest-pods.js'
import {needNode, SpecFailure, type PairContext, type Spec} from './spec.js'
import type {TestRun} from './test-run.js'

type NodeKind = 'gateway' | 'non-gateway'

const listeners = new WeakMap<TestRun, Map<string, Promise<Listener>>>()
const services = new WeakMap<Listener, Promise<string>>()

/** The run's listener at that place, started on first use. */
export function listenerAt(run: TestRun, cluster: TestCluster, node: string): Promise<Listener> {
  const cache = listeners.get(run) ?? new Map<string, Promise<Listener>>()
  listeners.set(run, cache)
  const key = `${cluster.context}/${node}`
  let listener = cache.get(key)
  if (!listener) {
    listener = startListener(run, cluster, node)
    // A listener that failed to start is tried again by the next spec that needs it.
    listener.catch(() => cache.delete(key))
    cache.set(key, listener)
  }

  return listener
}

/** The ClusterIP of a Service in front of the listener, made on first use. */
export function serviceOf(run: TestRun, listener: Listener): Promise<string> {
  let clusterIP = services.get(listener)
  if (!clusterIP) {
    clusterIP = run
      .create<ServiceModel>(listener.cluster, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {name: listener.name},
        spec: {ports: [{name: 'tcp', port: listener.port, protocol: 'TCP', targetPort: listener.port}], selector: {'test-app': listener.labels['test-app'] as string}},
      })
      .then((service) => service.spec?.clusterIP as string)
    clusterIP.catch(() => services.delete(listener))
    services.set(listener, clusterIP)
  }

  return clusterIP
}

const globalIps = new WeakMap<Listener, Promise<string>>()

/**
 * Under Globalnet a remote pod is reached at a global IP: its listener's Service is exported, and
 * the address is the GlobalIngressIP that Globalnet gives it (upstream's Globalnet variants).
 */
export function globalIpOf(run: TestRun, listener: Listener): Promise<string> {
  let ip = globalIps.get(listener)
  if (!ip) {
    ip = serviceOf(run, listener).then(async () => {
      await run.create(listener.cluster, {apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceExport', metadata: {name: listener.name}})
      return run.until(`the global IP of ${listener.name} on ${listener.cluster.context}`, async () => (await listener.cluster.client.tryGet<GlobalIngressIP>(Resources.GlobalIngressIP, listener.name, run.namespace))?.status?.allocatedIP || undefined)
    })
    ip.catch(() => globalIps.delete(listener))
    globalIps.set(listener, ip)
  }

  return ip
}

/** The address a spec connects to: the pod or its ClusterIP Service, or the global IP under Globalnet. */
async function targetAddress(context: PairContext, listener: Listener, viaService: boolean | undefined): Promise<string> {
  if (context.from.submariner?.spec.globalCIDR) return globalIpOf(context.run, listener)
  return viaService ? serviceOf(context.run, listener) : listener.ip
}

function describeListener(listener: Listener): string {
  return `${listener.cluster.context}/${listener.node} listener ${listener.name}`
}

/** Connects and throws the failed probe; returns the connect result. */
export async function echoCheck(context: PairContext, source: Placement, listener: Listener, address: string, payloadBytes?: number) {
  const {limits, run, from} = context
  const {result, source: sourceName} = await connectFrom(run, from, source, `${address}:${listener.port}`, {
    attempts: limits.connectionAttempts,
    timeoutSeconds: limits.connectionTimeoutSeconds,
    ...(payloadBytes ? {payloadBytes} : {}),
  })
  const probe = {address, observed: result.errors.join('; ') || result.summary, port: listener.port, protocol: 'tcp', source: sourceName, target: describeListener(listener)}
  return {passed: result.passed, probe, result}
}

interface TcpCase {
  key: Verification
  from: NodeKind
  fromHost?: boolean
  to: NodeKind
  viaService?: boolean
}

function side(kind: NodeKind, host: boolean | undefined): string {
  return host ? `a host-network pod on a ${kind} node` : `a ${kind} pod`
}

function tcpSpec(test: TcpCase): Spec {
  // Remote nodes' own addresses are not routed between clusters, so listeners are on pod networks.
  const target = test.viaService ? `the ClusterIP Service of a remote ${test.to} pod` : `a remote ${test.to} pod`
  return {
    key: test.key,
    name: `TCP from ${side(test.from, test.fromHost)} to ${target}`,
    async run(context) {
      const source = {hostNetwork: test.fromHost ?? false, node: needNode(context.from, test.from)}
      const listener = await listenerAt(context.run, context.to, needNode(context.to, test.to))
      const address = await targetAddress(context, listener, test.viaService)
      const {passed, probe, result} = await echoCheck(context, source, listener, address)
      if (!passed) throw new SpecFailure(`the listener did not echo the connector's data back`, probe)
      return `echoed, ${result.latencyMs?.min ?? '?'} ms`
    },
  }
}

const BASIC: TcpCase[] = [
  {from: 'non-gateway', key: 'basic-connectivity', to: 'non-gateway'},
  {from: 'non-gateway', key: 'basic-connectivity', to: 'non-gateway', viaService: true},
]

const FULL: TcpCase[] = [
  {from: 'non-gateway', key: 'connectivity', to: 'non-gateway'},
  {from: 'non-gateway', key: 'connectivity', to: 'non-gateway', viaService: true},
  {from: 'gateway', key: 'connectivity', to: 'gateway'},
  {from: 'gateway', key: 'connectivity', to: 'gateway', viaService: true},
  {from: 'non-gateway', key: 'connectivity', to: 'gateway'},
  {from: 'gateway', key: 'connectivity', to: 'non-gateway'},
  {from: 'non-gateway', fromHost: true, key: 'connectivity', to: 'non-gateway'},
  {from: 'gateway', fromHost: true, key: 'connectivity', to: 'gateway'},
]

/** Bytes of the small probe that tells an MTU problem from a connectivity one. */
const SMALL_PAYLOAD = 64

function packetSizeSpec(key: Verification): Spec {
  return {
    key,
    name: 'TCP with a large payload (--packet-size) from a non-gateway pod to a remote non-gateway pod',
    async run(context) {
      const source = {node: needNode(context.from, 'non-gateway')}
      const listener = await listenerAt(context.run, context.to, needNode(context.to, 'non-gateway'))
      const address = await targetAddress(context, listener, false)
      const large = await echoCheck(context, source, listener, address, context.limits.packetSize)
      if (large.passed) return `${context.limits.packetSize} bytes echoed`
      const small = await echoCheck({...context, limits: {...context.limits, connectionAttempts: 1}}, source, listener, address, SMALL_PAYLOAD)
      if (small.passed) {
        throw new SpecFailure(
          `${context.limits.packetSize}-byte payloads did not get through, but ${SMALL_PAYLOAD}-byte ones did`,
          large.probe,
          'MTU: packets larger than the path between the clusters allows are dropped; check the tunnel interface MTU and the TCP MSS clamping on the gateways',
        )
      }

      throw new SpecFailure(`neither ${context.limits.packetSize}-byte nor ${SMALL_PAYLOAD}-byte payloads got through`, large.probe)
    },
  }
}

function gatewayStatusSpec(key: Verification): Spec {
  return {
    key,
    name: 'the active Gateway reports the connection to the remote cluster as connected',
    async run(context) {
      const {from, to, run} = context
      let last = 'no active Gateway'
      try {
        return await run.until(`${from.context}'s Gateway to report ${to.clusterId} connected`, async () => {
          const gateways = await from.client.list<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
          const active = gateways.items.find((gateway) => gateway.status?.haStatus === 'active')
          const connection = active?.status?.connections.find((entry) => entry.endpoint.cluster_id === to.clusterId)
          last = active ? (connection ? `${connection.status}: ${connection.statusMessage}` : `no connection to ${to.clusterId}`) : 'no active Gateway'
          return connection?.status === 'connected' ? `connected via ${connection.endpoint.backend}${connection.latencyRTT ? `, RTT ${connection.latencyRTT.average}` : ''}` : undefined
        }, context.limits.connectionTimeoutSeconds * 1000)
      } catch {
        throw new SpecFailure(`the Gateway does not report ${to.clusterId} as connected`, {address: to.clusterId, observed: last, source: `${from.context} Gateway`, target: to.context})
      }
    },
  }
}

export const BASIC_CONNECTIVITY_SPECS: Spec[] = [...BASIC.map(tcpSpec), gatewayStatusSpec('basic-connectivity')]
export const CONNECTIVITY_SPECS: Spec[] = [...FULL.map(tcpSpec), packetSizeSpec('connectivity'), gatewayStatusSpec('connectivity')]
