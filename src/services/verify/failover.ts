/**
 * The `gateway-failover` specs (upstream's `redundancy` label), disruptive by nature: the active
 * gateway pod is killed, the active gateway node stops being one while a second gateway node
 * waits, and the route agent restarts on a gateway and on a non-gateway node. Each measures the
 * outage as the time from the disruption until data crosses to the other cluster again.
 */
import {GATEWAY_LABEL, OPERATOR_NAMESPACE, type Gateway} from '../../api/submariner.js'
import {GATEWAY, ROUTE_AGENT} from '../../manifests/components.js'
import type {PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {activeGatewayNode, type TestCluster} from './cluster.js'
import {echoCheck, listenerAt} from './connectivity.js'
import type {Listener} from './nettest-pods.js'
import {needNode, SpecFailure, SpecSkipped, type PairContext, type Spec} from './spec.js'

const KEY = 'gateway-failover' as const

async function componentPod(cluster: TestCluster, app: string, node: string): Promise<PodObject | undefined> {
  const pods = await cluster.client.list<PodObject>(Resources.Pod, {labelSelector: `app=${app}`, namespace: OPERATOR_NAMESPACE})
  return pods.items.find((pod) => pod.spec?.nodeName === node && !pod.metadata.deletionTimestamp)
}

function ready(pod: PodObject | undefined): boolean {
  return pod?.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false
}

/** Where to send test traffic from: a non-gateway node, else (every node a gateway) the active gateway's. */
function trafficSource(cluster: TestCluster): string {
  return cluster.nonGatewayNode ?? needNode(cluster, 'gateway')
}

/** The other cluster's listener, started before anything is disturbed. */
function remoteListener(context: PairContext): Promise<Listener> {
  return listenerAt(context.run, context.to, trafficSource(context.to))
}

/** Seconds from `since` until a connector pod from `node` gets its data echoed by the listener. */
async function outageUntilEcho(context: PairContext, listener: Listener, node: string, since: number, what: string): Promise<string> {
  let last = ''
  await context.run.until(`data to cross from ${context.from.context}/${node} to ${context.to.context} after ${what}`, async () => {
    const {passed, probe} = await echoCheck({...context, limits: {...context.limits, connectionAttempts: 1, connectionTimeoutSeconds: 5}}, {node}, listener, listener.ip)
    last = probe.observed
    return passed ? true : undefined
  }).catch(() => {
    throw new SpecFailure(`no data crossed to ${context.to.context} after ${what}`, {address: listener.ip, observed: last, port: listener.port, protocol: 'tcp', source: `${context.from.context}/${node}`, target: `${context.to.context}/${listener.node} listener ${listener.name}`})
  })
  return `traffic resumed ${((Date.now() - since) / 1000).toFixed(1)} s after ${what}`
}

async function gatewayConnected(context: PairContext): Promise<string> {
  const {from, to, run} = context
  return run.until(`${from.context}'s active Gateway to report ${to.clusterId} connected`, async () => {
    const gateways = await from.client.list<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
    const active = gateways.items.find((gateway) => gateway.status?.haStatus === 'active')
    return active?.status?.connections.some((connection) => connection.endpoint.cluster_id === to.clusterId && connection.status === 'connected') ? (active.metadata.name as string) : undefined
  })
}

async function restartComponent(context: PairContext, app: string, node: string): Promise<number> {
  const {from, run} = context
  const old = await run.until(`the ${app} pod on ${from.context}/${node}`, () => componentPod(from, app, node))
  const since = Date.now()
  await from.client.delete(Resources.Pod, old.metadata.name as string, OPERATOR_NAMESPACE)
  await run.until(`a new ${app} pod to be ready on ${from.context}/${node}`, async () => {
    const pod = await componentPod(from, app, node)
    return pod && pod.metadata.uid !== old.metadata.uid && ready(pod) ? pod : undefined
  })
  return since
}

function routeAgentRestart(kind: 'gateway' | 'non-gateway'): Spec {
  return {
    key: KEY,
    name: `the route agent restarts on ${kind === 'gateway' ? 'the gateway node' : 'a non-gateway node'}: traffic from that node resumes`,
    async run(context) {
      const node = needNode(context.from, kind)
      const listener = await remoteListener(context)
      const since = await restartComponent(context, ROUTE_AGENT, node)
      return outageUntilEcho(context, listener, node, since, 'the route agent pod was deleted')
    },
  }
}

export const GATEWAY_FAILOVER_SPECS: Spec[] = [
  {
    key: KEY,
    name: 'the active gateway pod is deleted: a new one comes back, reconnects and traffic resumes',
    async run(context) {
      const node = needNode(context.from, 'gateway')
      const listener = await remoteListener(context)
      const since = await restartComponent(context, GATEWAY, node)
      context.from.gatewayNode = await gatewayConnected(context)
      return outageUntilEcho(context, listener, trafficSource(context.from), since, 'the gateway pod was deleted')
    },
  },
  {
    key: KEY,
    name: 'two gateway nodes: when the active one stops being a gateway, the passive one takes over',
    async run(context) {
      const {from, run} = context
      if (from.gatewayNodes.length < 2) throw new SpecSkipped(`${from.context} has ${from.gatewayNodes.length} gateway node; label a second one ${GATEWAY_LABEL}=true`)
      const before = (await activeGatewayNode(from)) ?? needNode(from, 'gateway')
      const listener = await remoteListener(context)
      const since = Date.now()
      const restore = () => from.client.mergePatch(Resources.Node, before, undefined, {metadata: {labels: {[GATEWAY_LABEL]: 'true'}}})
      run.onTearDown(`the ${GATEWAY_LABEL} label of ${from.context}/${before}`, restore)
      await from.client.mergePatch(Resources.Node, before, undefined, {metadata: {labels: {[GATEWAY_LABEL]: 'false'}}})
      const after = await run.until(`another gateway of ${from.context} to become active`, async () => {
        const active = await activeGatewayNode(from)
        return active && active !== before ? active : undefined
      })
      from.gatewayNode = after
      await gatewayConnected(context)
      const note = await outageUntilEcho(context, listener, trafficSource(from), since, `${before} stopped being a gateway`)
      // Back as a gateway, the old node must wait as the passive one.
      await restore()
      await run.until(`${from.context}/${before} to come back as the passive gateway`, async () => {
        const gateway = await from.client.tryGet<Gateway>(Resources.Gateway, before, OPERATOR_NAMESPACE)
        return gateway?.status?.haStatus === 'passive' ? true : undefined
      })
      return `${note}; ${after} is active, ${before} passive`
    },
  },
  routeAgentRestart('gateway'),
  routeAgentRestart('non-gateway'),
]
