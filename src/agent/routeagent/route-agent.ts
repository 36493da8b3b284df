/**
 * The route agent, on every node (reference/dataplane.md §4): steers traffic for the remote
 * clusters' CIDRs to the active gateway. On non-gateway nodes a VXLAN device `vx-submariner` (VNI
 * 100, UDP 4800, 240.x VTEPs) points at the gateway and carries routes for the remote subnets; on
 * the gateway it receives that traffic, and rule/table 150 route the remote subnets to the cable.
 * iptables chains keep cross-cluster traffic from being masqueraded and clamp TCP MSS. One
 * level-triggered reconcile derives everything from the Endpoints and Nodes the API holds, so a
 * gateway failover is just another reconcile. A second loop (clusterset-ip.ts) makes the clusterset
 * IPs virtual IPs on this node.
 */
import type {Connection, Endpoint, LatencyRTT} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {inClusterClient} from '../../k8s/clients.js'
import {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {containsIp, parseCidr} from '../../lib/cidr.js'
import {gatewayIp, newestPerCluster, subnetsOverlap} from '../../lib/endpoints.js'
import {CHAINS} from '../../lib/globalnet/naming.js'
import {VERSION} from '../../lib/version.js'
import {readEnvironment, type AgentEnvironment} from '../config.js'
import {HealthChecker, type PingStatus} from '../gateway/health.js'
import {removeGlobalnet} from '../globalnet/dataplane.js'
import {createTools} from '../netlink/exec.js'
import {Iptables} from '../netlink/iptables.js'
import {Net, vtepAddress, vtepMac} from '../netlink/ip.js'
import {Ipsets} from '../netlink/ipset.js'
import {Controller} from '../runtime/controller.js'
import {clustersetIpController, removeClustersetIp} from './clusterset-ip.js'
import type {Logger} from '../runtime/log.js'
import {aborted, type RoleModule} from '../runtime/role.js'

export const VX_SUBMARINER = 'vx-submariner'
export const VXLAN_VNI = 100
export const VXLAN_PORT = 4800
export const TABLE = 150
const STATIC_PROTO = 4
const RESYNC_MS = 30_000
const LOCAL_CIDRS = 'SUBMARINER-LOCALCIDRS'
const REMOTE_CIDRS = 'SUBMARINER-REMOTECIDRS'
const POSTROUTING = 'SUBMARINER-POSTROUTING'
const INPUT = 'SUBMARINER-INPUT'
const FORWARD = 'SUBMARINER-FORWARD'

interface NodeObject extends KubeObject {
  status?: {addresses?: Array<{type: string; address: string}>}
}

export interface DataPlaneDeps {
  env: AgentEnvironment
  net: Net
  iptables: Iptables
  ipsets: Ipsets
  log: Logger
}

/** The host interface holding an address of the cluster CIDR (cni0, flannel.1, ...). */
export async function cniAddress(net: Net, clusterCIDRs: string[]): Promise<{link: string; address: string} | undefined> {
  const cidrs = clusterCIDRs.map(parseCidr).filter((cidr) => cidr !== undefined)
  for (const address of await net.addresses()) {
    if (cidrs.some((cidr) => containsIp(cidr, address.address))) return {address: address.address, link: address.link}
  }

  return undefined
}

interface Topology {
  local: Endpoint | undefined
  remotes: Endpoint[]
  isGateway: boolean
  remoteSubnets: string[]
}

/** What the endpoints say: the active local gateway, the remote clusters, and where this node stands. */
export function topology(endpoints: Endpoint[], env: AgentEnvironment): Topology {
  const newest = newestPerCluster(endpoints)
  const local = newest.get(env.clusterId)
  const localCidrs = [...env.clusterCIDRs, ...env.serviceCIDRs]
  const remotes = [...newest.values()].filter(
    (endpoint) => endpoint.spec.cluster_id !== env.clusterId && !subnetsOverlap(endpoint.spec.subnets, localCidrs),
  )
  return {
    isGateway: local?.spec.hostname === env.nodeName,
    local,
    remoteSubnets: [...new Set(remotes.flatMap((endpoint) => endpoint.spec.subnets))].sort(),
    remotes,
  }
}

async function syncVxSubmariner(deps: DataPlaneDeps, view: Topology, nodeIPs: string[]): Promise<void> {
  const {net} = deps
  if (!view.local) {
    await net.deleteLink(VX_SUBMARINER)
    return
  }

  const defaultRoute = await net.defaultRoute()
  const defaultLink = defaultRoute?.dev ? await net.link(defaultRoute.dev) : undefined
  const ownIp = (await net.addresses()).find((address) => address.link === defaultRoute?.dev)?.address
  if (!defaultLink || !ownIp) throw new Error('no default route: cannot place vx-submariner')
  const mtu = defaultLink.mtu - 50
  const gatewayVtep = vtepAddress(240, view.local.spec.private_ip)
  const ownVtep = vtepAddress(240, ownIp)

  if (view.isGateway) {
    await net.ensureVxlan(VX_SUBMARINER, {address: vtepMac(ownVtep), mtu, port: VXLAN_PORT, vni: VXLAN_VNI})
    await net.setAddress(VX_SUBMARINER, `${ownVtep}/8`)
    const wanted = nodeIPs.filter((ip) => ip !== ownIp)
    for (const ip of wanted) await net.fdbAppend(VX_SUBMARINER, ip)
    for (const stale of (await net.fdbDestinations(VX_SUBMARINER)).filter((ip) => !wanted.includes(ip))) await net.fdbDelete(VX_SUBMARINER, stale)
    for (const route of await net.routes('main', VX_SUBMARINER)) if (route.dst.includes('/') && !route.dst.startsWith('240.')) await net.deleteRoute(route.dst, undefined, VX_SUBMARINER)
  } else {
    await net.ensureVxlan(VX_SUBMARINER, {address: vtepMac(ownVtep), mtu, port: VXLAN_PORT, remote: view.local.spec.private_ip, vni: VXLAN_VNI})
    await net.setAddress(VX_SUBMARINER, `${ownVtep}/8`)
    for (const subnet of view.remoteSubnets) await net.replaceRoute({dev: VX_SUBMARINER, dst: subnet, proto: STATIC_PROTO, via: gatewayVtep})
    for (const route of await net.routes('main', VX_SUBMARINER)) {
      if (route.dst.startsWith('240.')) continue
      if (!view.remoteSubnets.includes(route.dst) || route.gateway !== gatewayVtep) await net.deleteRoute(route.dst, undefined, VX_SUBMARINER)
    }
  }

  await net.sysctl(`net/ipv4/conf/${VX_SUBMARINER}/rp_filter`, '2')
  await net.sysctl(`net/ipv4/conf/${VX_SUBMARINER}/forwarding`, '1')
}

/** Table 150 on the active gateway: each remote subnet via the cable's interface, from the CNI address. */
async function syncGatewayTable(deps: DataPlaneDeps, view: Topology, cni: {address: string} | undefined): Promise<void> {
  const {net} = deps
  if (!view.isGateway || !view.local) {
    await net.flushTable(TABLE)
    await net.deleteRule(TABLE)
    return
  }

  await net.ensureRule(TABLE)
  const defaultRoute = await net.defaultRoute()
  const device = view.local.spec.backend_config?.['interface-name'] ?? defaultRoute?.dev ?? 'eth0'
  const wanted = new Set<string>()
  for (const remote of view.remotes) {
    for (const subnet of remote.spec.subnets) {
      wanted.add(subnet)
      const cidr = parseCidr(subnet)
      // A remote gateway inside its own CIDR must be reached through the next hop, not on-link.
      const via = cidr && containsIp(cidr, gatewayIp(remote.spec)) && !view.local.spec.backend_config?.['interface-name'] ? defaultRoute?.gateway : undefined
      await net.replaceRoute({dev: device, dst: subnet, proto: STATIC_PROTO, table: TABLE, ...(cni ? {src: cni.address} : {}), ...(via ? {via} : {scopeLink: true})})
    }
  }

  for (const route of await net.routes(TABLE)) if (!wanted.has(route.dst)) await net.deleteRoute(route.dst, TABLE)
}

async function syncFirewall(deps: DataPlaneDeps, view: Topology, cni: {address: string} | undefined): Promise<void> {
  const {env, iptables, ipsets} = deps
  const accepts = view.remoteSubnets.flatMap((remote) =>
    env.clusterCIDRs.flatMap((local) => [
      ['-s', local, '-d', remote, '-j', 'ACCEPT'],
      ['-s', remote, '-d', local, '-j', 'ACCEPT'],
    ]),
  )
  // With Globalnet, its egress chain comes first: translation before these ACCEPTs (reference/dataplane.md §5.2).
  const globalnet = env.globalCIDRs.length > 0
  if (globalnet) await iptables.ensureChain('nat', CHAINS.egress)
  await iptables.syncChain('nat', POSTROUTING, [
    ...(globalnet ? [['-j', CHAINS.egress]] : []),
    ...(cni ? [['-s', '240.0.0.0/8', '-o', VX_SUBMARINER, '-j', 'SNAT', '--to-source', cni.address]] : []),
    ...accepts,
  ])
  await iptables.ensureJump('nat', 'POSTROUTING', POSTROUTING, 'first')
  await iptables.syncChain('filter', INPUT, [['-p', 'udp', '-m', 'udp', '--dport', String(VXLAN_PORT), '-j', 'ACCEPT']])
  await iptables.ensureJump('filter', 'INPUT', INPUT, 'last', ['-p', 'udp', '-m', 'udp'])
  await iptables.syncChain('filter', FORWARD, [['-o', VX_SUBMARINER, '-j', 'ACCEPT']])
  await iptables.ensureJump('filter', 'FORWARD', FORWARD, 'first')

  // MSS clamping between local and remote CIDRs (the MTU handler).
  const localCidrs = [...(view.local?.spec.subnets ?? []), ...env.clusterCIDRs]
  await ipsets.sync(LOCAL_CIDRS, [...new Set(localCidrs)])
  await ipsets.sync(REMOTE_CIDRS, view.remoteSubnets)
  const clamp = (from: string, to: string) => ['-p', 'tcp', '-m', 'set', '--match-set', from, 'src', '-m', 'set', '--match-set', to, 'dst', '-m', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--clamp-mss-to-pmtu']
  await iptables.syncChain('mangle', POSTROUTING, [clamp(LOCAL_CIDRS, REMOTE_CIDRS), clamp(REMOTE_CIDRS, LOCAL_CIDRS)])
  await iptables.ensureJump('mangle', 'POSTROUTING', POSTROUTING, 'first')
}

/** Converges this node to what the Endpoints and Nodes say. */
export async function reconcileNode(deps: DataPlaneDeps, endpoints: Endpoint[], nodes: NodeObject[]): Promise<Topology> {
  const view = topology(endpoints, deps.env)
  const cni = await cniAddress(deps.net, deps.env.clusterCIDRs)
  if (cni) await deps.net.sysctl(`net/ipv4/conf/${cni.link}/rp_filter`, '2')
  const nodeIPs = nodes.flatMap((node) => node.status?.addresses?.filter((address) => address.type === 'InternalIP').map((address) => address.address).slice(0, 1) ?? [])
  await syncVxSubmariner(deps, view, nodeIPs)
  await syncGatewayTable(deps, view, cni)
  await syncFirewall(deps, view, cni)
  return view
}

export interface RemoteEndpointHealth {
  spec: Endpoint['spec']
  status: Connection['status']
  statusMessage: string
  latencyRTT?: LatencyRTT
}

/**
 * The status of this node's RouteAgent (reference/dataplane.md §1.4): each remote endpoint as this
 * node reaches it. Gateway nodes do not ping (the gateway's own health checker does); a non-gateway
 * node pings each remote health-check IP through vx-submariner and the tunnel.
 */
export function routeAgentStatus(view: Topology, env: AgentEnvironment, ping: (cable: string) => PingStatus | undefined, failure = ''): {version: string; statusFailure: string; remoteEndpoints: RemoteEndpointHealth[]} {
  const remoteEndpoints = view.remotes.map((remote): RemoteEndpointHealth => {
    const none = (statusMessage: string): RemoteEndpointHealth => ({spec: remote.spec, status: 'none', statusMessage})
    if (view.isGateway) return none('Health check is not performed on gateway nodes')
    if (!env.healthCheck.enabled) return none('Health check is not enabled')
    if (!remote.spec.healthCheckIP) return none('The remote endpoint has no health check IP')
    const result = ping(remote.spec.cable_name)
    if (!result || result.status === 'unknown') return {spec: remote.spec, status: 'connecting', statusMessage: result?.message ?? 'Health check has not run yet'}
    return {spec: remote.spec, status: result.status, statusMessage: result.message, ...(result.rtt ? {latencyRTT: result.rtt} : {})}
  })
  return {remoteEndpoints, statusFailure: failure, version: VERSION}
}

/** Writes this node's RouteAgent when its status changed (RTTs aside, which change with every ping). */
class RouteAgentPublisher {
  #last = ''

  constructor(
    readonly client: KubeClient,
    readonly env: AgentEnvironment,
  ) {}

  async publish(status: ReturnType<typeof routeAgentStatus>): Promise<void> {
    const comparable = JSON.stringify({...status, remoteEndpoints: status.remoteEndpoints.map(({latencyRTT: _rtt, ...rest}) => rest)})
    if (comparable === this.#last) return
    await this.client.apply({apiVersion: 'submariner.io/v1', kind: 'RouteAgent', metadata: {name: this.env.nodeName, namespace: this.env.namespace}, status})
    this.#last = comparable
  }

  async remove(): Promise<void> {
    await this.client.delete(Resources.RouteAgent, this.env.nodeName, this.env.namespace)
  }
}

/** Removes everything the route agent made on this node (SUBMARINER_UNINSTALL). */
export async function cleanUpNode(deps: DataPlaneDeps): Promise<void> {
  const {iptables, ipsets, net} = deps
  await net.flushTable(TABLE)
  await net.deleteRule(TABLE)
  await net.deleteLink(VX_SUBMARINER)
  await iptables.deleteChain('nat', POSTROUTING, [{from: 'POSTROUTING'}])
  // Globalnet's egress chain was made here too (the jump above names it), and a node that led
  // Globalnet once may have no globalnet pod left to remove its chains.
  await removeGlobalnet(iptables, ipsets)
  await removeClustersetIp(iptables)
  await iptables.deleteChain('filter', INPUT, [{from: 'INPUT', match: ['-p', 'udp', '-m', 'udp']}])
  await iptables.deleteChain('filter', FORWARD, [{from: 'FORWARD'}])
  await iptables.deleteChain('mangle', POSTROUTING, [{from: 'POSTROUTING'}])
  await ipsets.destroy(LOCAL_CIDRS)
  await ipsets.destroy(REMOTE_CIDRS)
}

export const routeAgentRole: RoleModule = {
  defaultMetricsPort: 32783,
  async run(_args, context) {
    const env = readEnvironment(context.env)
    const log = context.log.child({node: env.nodeName})
    const tools = createTools(log)
    const deps: DataPlaneDeps = {env, ipsets: new Ipsets(tools), iptables: new Iptables(tools), log, net: new Net(tools)}
    if (env.uninstall) {
      await cleanUpNode(deps)
      log.info('removed the route agent’s routes, rules, chains and interfaces')
      return 0
    }

    const client = await inClusterClient('submariner-routeagent')
    const endpoints = new Informer<Endpoint>(client, Resources.Endpoint, {log, namespace: env.namespace})
    const nodes = new Informer<NodeObject>(client, Resources.Node, {log})
    const health = new HealthChecker({intervalSeconds: env.healthCheck.intervalSeconds, log, maxPacketLossCount: env.healthCheck.maxPacketLossCount})
    const publisher = new RouteAgentPublisher(client, env)
    let last = ''
    const controller = new Controller(
      'route-agent',
      async () => {
        let view: Topology
        try {
          view = await reconcileNode(deps, endpoints.list(), nodes.list())
        } catch (error) {
          // Say it on the RouteAgent too (diagnose connections reads it), then let the queue retry.
          await publisher.publish(routeAgentStatus(topology(endpoints.list(), env), env, () => undefined, (error as Error).message)).catch((publishError: unknown) => log.warn('could not write the RouteAgent', {error: String(publishError)}))
          throw error
        }

        const pinged = !view.isGateway && env.healthCheck.enabled ? view.remotes.flatMap((remote) => (remote.spec.healthCheckIP ? [[remote.spec.cable_name, remote.spec.healthCheckIP] as const] : [])) : []
        health.sync(new Map(pinged))
        await publisher.publish(routeAgentStatus(view, env, (cable) => health.status(cable)))
        const summary = `${view.isGateway ? 'gateway' : 'non-gateway'} node; gateway ${view.local?.spec.hostname ?? 'none'}; remote ${view.remotes.map((remote) => remote.spec.cluster_id).join(',') || 'none'}`
        if (summary !== last) log.info('converged', {summary})
        last = summary
        context.health.ready = true
        return {requeueAfterMs: RESYNC_MS}
      },
      log,
    )
      .watch(endpoints, () => ['node'])
      .watch(nodes, () => ['node'])
    const clustersetIps = clustersetIpController(client, env, deps.iptables, log)
    await controller.start()
    await clustersetIps.start()
    controller.queue.add('node')
    clustersetIps.queue.add('rules')
    await aborted(context.signal)
    controller.stop()
    clustersetIps.stop()
    health.stop()
    await publisher.remove().catch((error: unknown) => log.warn('could not delete the RouteAgent', {error: String(error)}))
    client.close()
    return 0
  },
}
