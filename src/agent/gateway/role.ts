/**
 * The gateway role: reads its settings, learns the node's addresses, runs the engine under leader
 * election among the gateway nodes, and on uninstall removes what gateways made here and on the broker.
 */
import {randomBytes} from 'node:crypto'

import type {KubeClient} from '../../k8s/client.js'
import {inClusterClient} from '../../k8s/clients.js'
import {brokerClient, brokerSettings} from '../../k8s/in-cluster.js'
import {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {validObjectName} from '../../lib/cluster-id.js'
import {readEnvironment, type AgentEnvironment} from '../config.js'
import {createTools} from '../netlink/exec.js'
import {Net} from '../netlink/ip.js'
import {cniAddress} from '../routeagent/route-agent.js'
import {LeaderElector} from '../runtime/leader.js'
import type {Logger} from '../runtime/log.js'
import {aborted, type RoleModule} from '../runtime/role.js'
import type {CableDriver, DriverContext} from './cable/driver.js'
import {LibreswanDriver} from './cable/libreswan.js'
import {VxlanDriver} from './cable/vxlan.js'
import {WireguardDriver} from './cable/wireguard.js'
import {GatewayEngine, LEASE_NAME} from './gateway.js'
import {holderIsGone, type GatewayPodView} from './holder.js'
import {localEndpointSpec, nodeOverrides, resolvePublicIp, type NodeObject} from './local-endpoint.js'
import {createDriver, gatewaySettings, GatewayMetrics, pskString} from './settings.js'

const STATUS_INTERVAL_MS = 5000

/** Uninstall: the driver's state, this node's Gateway, and this cluster's Endpoints and Clusters here and on the broker. */
async function uninstallGateway(env: AgentEnvironment, client: KubeClient, driver: CableDriver, hostname: string, log: Logger): Promise<void> {
  await driver.cleanup()
  await client.delete(Resources.Gateway, validObjectName(hostname), env.namespace)
  let broker: KubeClient | undefined
  try {
    const settings = brokerSettings()
    broker = await brokerClient(settings, 'submariner-gateway')
    for (const type of [Resources.Endpoint, Resources.Cluster]) {
      for (const object of await broker.tryList<KubeObject & {spec: {cluster_id: string}}>(type, {namespace: settings.namespace})) {
        if (object.spec.cluster_id === env.clusterId) await broker.delete(type, object.metadata.name as string, settings.namespace)
      }
    }
  } catch (error) {
    log.warn('could not remove this cluster’s objects from the broker', {error})
  } finally {
    broker?.close()
  }

  for (const type of [Resources.Endpoint, Resources.Cluster]) {
    for (const object of await client.tryList<KubeObject>(type, {namespace: env.namespace})) await client.delete(type, object.metadata.name as string, env.namespace)
  }
}

export const gatewayRole: RoleModule = {
  defaultMetricsPort: 32780,
  async run(_args, context) {
    const env = readEnvironment(context.env)
    const settings = gatewaySettings(context.env)
    const log = context.log.child({node: env.nodeName})
    const tools = createTools(log)
    const net = new Net(tools)
    const client = await inClusterClient('submariner-gateway')
    // Redirects would send remote-bound traffic around the tunnel; a kernel that refuses is only worse off.
    await net.sysctl('net/ipv4/conf/all/send_redirects', '0').catch((error: unknown) => log.warn('could not turn ICMP redirects off', {error}))
    const cni = await cniAddress(net, env.clusterCIDRs)
    const driverContext: DriverContext = {cniIp: cni?.address, debug: settings.ipsecDebug, forceEncapsulation: settings.forceEncapsulation, log, net, psk: pskString(context.env, log), tools}
    const driver = createDriver(settings.cableDriver, driverContext, settings)
    if (env.uninstall) {
      await uninstallGateway(env, client, driver, env.nodeName, log)
      log.info('removed the gateway’s tunnels and objects')
      return 0
    }

    const node = await client.get<NodeObject>(Resources.Node, env.nodeName)
    const overrides = nodeOverrides(node)
    const privateIp = (await net.sourceFor('8.8.8.8')) ?? node.status?.addresses?.find((address) => address.type === 'InternalIP')?.address
    if (!privateIp) throw new Error('cannot determine the private IP: no route to 8.8.8.8 and no InternalIP')
    const publicIp = await resolvePublicIp(overrides['public-ip'] ?? settings.publicIpSpec, {airGapped: settings.airGapped, client, namespace: env.namespace})
    if (publicIp.problem) log.warn('no public IP', {reason: publicIp.problem})
    const spec = localEndpointSpec({
      backend: settings.cableDriver,
      clusterId: env.clusterId,
      driverConfig: {},
      healthCheckIp: env.healthCheck.enabled && env.globalCIDRs.length === 0 ? cni?.address : undefined,
      hostname: env.nodeName,
      natEnabled: settings.natEnabled,
      overrides,
      privateIp,
      publicIp: publicIp.ip,
      subnets: env.globalCIDRs.length > 0 ? env.globalCIDRs : [...env.serviceCIDRs, ...env.clusterCIDRs],
      udpPort: settings.nattPort,
      usingLoadBalancer: settings.publicIpSpec?.startsWith('lb:') ?? false,
    })
    const engine = new GatewayEngine({client, driver, env, log, metrics: new GatewayMetrics(context), net, publicIpProblem: publicIp.problem, spec})
    await engine.startNatDiscovery()
    await engine.labelPassive()
    // A passive node must not keep tunnels from an earlier time it led, whatever driver built them.
    for (const stale of [new VxlanDriver(driverContext), new WireguardDriver(driverContext), new LibreswanDriver(driverContext, false)]) {
      await stale.cleanup().catch((error: unknown) => log.warn('could not remove stale cables', {driver: stale.name, error}))
    }

    const hostname = env.nodeName
    const identity = `${hostname}-submariner-gateway-${randomBytes(4).toString('hex')}`
    const pods = new Informer<KubeObject & GatewayPodView & {spec?: {nodeName?: string}}>(client, Resources.Pod, {
      labelSelector: 'app=submariner-gateway',
      log,
      namespace: env.podNamespace,
    })
    const elector = new LeaderElector({
      client,
      // Another node's gateway known to be gone (holder.ts says what counts as known) is not
      // waited for. Readiness says nothing here: a leader whose cable driver failed is alive.
      holderIsDead: (holder, lease) => {
        const holderNode = holder.replace(/-submariner-gateway(-[0-9a-f]+)?$/, '')
        // A cache that lost its watch (this node just back from a partition) may show the holder's
        // container as it was before the holder took the lease: only a current one is evidence.
        if (holderNode === hostname || !pods.current) return false
        return holderIsGone(pods.list().filter((candidate) => candidate.spec?.nodeName === holderNode), lease)
      },
      identity,
      leaseDurationMs: settings.leaseDurationMs,
      log,
      name: LEASE_NAME,
      namespace: env.namespace,
      onStartedLeading: (leadership) => engine.activate(leadership),
      onStoppedLeading: () => engine.deactivate(),
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
    })
    pods.onEvent(() => elector.poke()).start()

    const publish = () => engine.publishStatus().catch((error: unknown) => log.warn('could not publish the Gateway status', {error}))
    const statusTimer = setInterval(() => void publish(), STATUS_INTERVAL_MS)
    await publish()
    // Passive, or leading with its cable driver started; and only once the election has had its
    // first say, so that a gateway about to fail as the leader is never counted ready meanwhile.
    context.health.ready = () => elector.settled && (!elector.leading || engine.driverStarted)
    const election = elector.run(context.signal)
    await aborted(context.signal)
    clearInterval(statusTimer)
    await election
    pods.stop()
    await engine.shutdown()
    client.close()
    return 0
  },
}
