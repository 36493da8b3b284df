/**
 * The globalnet role (reference/dataplane.md §5), on every gateway node of a cluster with a global
 * CIDR. It follows the gateway: only the node that holds the active local Endpoint campaigns for
 * the Lease `submariner-globalnet-lock`, and only the holder translates. Losing either empties the
 * chains here, so the translation moves with the gateway. Uninstall removes every chain, ipset and
 * object Globalnet made.
 */
import {Gauge} from 'prom-client'

import type {ServiceExport, ServiceObject} from '../../api/mcs.js'
import type {ClusterGlobalEgressIP, Endpoint, Gateway, GlobalEgressIP, GlobalIngressIP} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {inClusterClient} from '../../k8s/clients.js'
import {Informer} from '../../k8s/informer.js'
import type {PodObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {cidrProblem} from '../../lib/cidr.js'
import {LABEL_CLONED_FROM, LABEL_EXPORTED_SERVICE_REF, LEASE_NAME} from '../../lib/globalnet/naming.js'
import type {EndpointsObject} from '../../lib/globalnet/plan.js'
import {readEnvironment} from '../config.js'
import {createTools} from '../netlink/exec.js'
import {Net} from '../netlink/ip.js'
import {Iptables} from '../netlink/iptables.js'
import {Ipsets} from '../netlink/ipset.js'
import {cniAddress} from '../routeagent/route-agent.js'
import {Controller} from '../runtime/controller.js'
import {LeaderElector} from '../runtime/leader.js'
import type {Logger} from '../runtime/log.js'
import {aborted, ArgumentError, type AgentContext, type RoleModule} from '../runtime/role.js'
import type {Allocations} from './allocations.js'
import {GlobalnetDataplane} from './dataplane.js'
import {GlobalnetReconciler, type GlobalnetCaches} from './reconciler.js'

const KEY = 'globalnet'
/** As the gateway's election: the translation must follow a gateway fail-over in seconds. */
const LEASE = {leaseDurationMs: 5000, renewDeadlineMs: 3000, retryPeriodMs: 1000}

/** Uninstall: the chains and ipsets here, and every object Globalnet made in the cluster. */
async function uninstall(client: KubeClient, dataplane: GlobalnetDataplane, log: Logger): Promise<void> {
  await dataplane.remove()
  for (const type of [Resources.GlobalIngressIP, Resources.GlobalEgressIP, Resources.ClusterGlobalEgressIP]) {
    for (const object of await client.tryList(type)) await client.delete(type, object.metadata.name as string, object.metadata.namespace)
  }

  for (const [type, label] of [
    [Resources.Service, LABEL_EXPORTED_SERVICE_REF],
    [Resources.Endpoints, LABEL_CLONED_FROM],
  ] as const) {
    for (const object of await client.tryList(type, {labelSelector: label})) await client.delete(type, object.metadata.name as string, object.metadata.namespace)
  }

  log.info('removed the Globalnet chains, ipsets, internal Services and objects')
}

function metrics(context: AgentContext, cidr: string): (allocations: Allocations) => void {
  const gauge = (name: string, help: string) => new Gauge({help, labelNames: ['cidr'], name, registers: [context.registry]})
  const availability = gauge('submariner_global_IP_availability', 'Global IPs still free in the global CIDR')
  const allocated = gauge('submariner_global_IP_allocated', 'Global IPs allocated in the global CIDR')
  const egress = gauge('submariner_global_egress_IP_allocated', 'Global IPs allocated to GlobalEgressIPs')
  const clusterEgress = gauge('submariner_cluster_global_egress_IP_allocated', 'Global IPs allocated to the ClusterGlobalEgressIP')
  const ingress = gauge('submariner_global_ingress_IP_allocated', 'Global IPs allocated to GlobalIngressIPs')
  return (allocations) => {
    availability.set({cidr}, allocations.pool.available)
    allocated.set({cidr}, allocations.pool.allocated)
    egress.set({cidr}, allocations.count('egress'))
    clusterEgress.set({cidr}, allocations.count('cluster-egress'))
    ingress.set({cidr}, allocations.count('ingress'))
  }
}

export const globalnetRole: RoleModule = {
  defaultMetricsPort: 32781,
  async run(_args, context) {
    const env = readEnvironment(context.env)
    const globalCidr = env.globalCIDRs[0]
    if (!globalCidr) throw new ArgumentError('SUBMARINER_GLOBALCIDR is empty: the operator starts globalnet only for a cluster with a global CIDR')
    const problem = cidrProblem(globalCidr)
    if (problem) throw new ArgumentError(`SUBMARINER_GLOBALCIDR: ${problem}`)
    const log = context.log.child({node: env.nodeName})
    const tools = createTools(log)
    const dataplane = new GlobalnetDataplane(new Iptables(tools), new Ipsets(tools))
    const client = await inClusterClient('submariner-globalnet')
    if (env.uninstall) {
      await uninstall(client, dataplane, log)
      client.close()
      return 0
    }

    const caches: GlobalnetCaches = {
      clusterEgress: new Informer<ClusterGlobalEgressIP>(client, Resources.ClusterGlobalEgressIP, {log}),
      egress: new Informer<GlobalEgressIP>(client, Resources.GlobalEgressIP, {log}),
      endpoints: new Informer<EndpointsObject>(client, Resources.Endpoints, {log}),
      exports: new Informer<ServiceExport>(client, Resources.ServiceExport, {log}),
      ingress: new Informer<GlobalIngressIP>(client, Resources.GlobalIngressIP, {log}),
      pods: new Informer<PodObject>(client, Resources.Pod, {log}),
      services: new Informer<ServiceObject>(client, Resources.Service, {log}),
      gateways: new Informer<Gateway>(client, Resources.Gateway, {log, namespace: env.namespace}),
      submarinerEndpoints: new Informer<Endpoint>(client, Resources.Endpoint, {log, namespace: env.namespace}),
    }
    const net = new Net(tools)
    // A node may get its pod-network address after this pod starts: asked again until it has one.
    const cniIp = async () => (await cniAddress(net, env.clusterCIDRs))?.address
    const reconciler = new GlobalnetReconciler({caches, client, cniIp, dataplane, env, globalCidr, log, onConverged: metrics(context, globalCidr)})
    const controller = new Controller(KEY, () => reconciler.reconcile(), log)
    for (const informer of Object.values(caches)) controller.watch(informer, () => [KEY])

    const newElector = () =>
      new LeaderElector({
        client,
        // A holder whose node no longer hosts the active gateway translates nothing that arrives.
        holderIsDead: (holder) => {
          const active = reconciler.activeGatewayNode()
          return active !== undefined && holder.replace(/-submariner-gateway$/, '') !== active
        },
        identity: `${env.nodeName}-submariner-gateway`,
        log,
        name: LEASE_NAME,
        namespace: env.namespace,
        onStartedLeading: async () => {
          for (const [path, value] of [
            ['net/ipv4/tcp_mtu_probing', '2'],
            ['net/ipv4/tcp_base_mss', '1024'],
          ]) {
            await net.sysctl(path as string, value as string).catch((error: unknown) => log.warn('could not set a sysctl', {error, path}))
          }

          reconciler.leading = true
          controller.queue.add(KEY)
        },
        onStoppedLeading: () => {
          reconciler.leading = false
          controller.queue.add(KEY)
        },
        ...LEASE,
      })

    // Campaign only while this node holds the active gateway; stepping aside releases the lease.
    // A new campaign starts once the last one has released: they share one identity.
    let campaign: {stop: AbortController; done: Promise<void>} | undefined
    let previous: Promise<void> = Promise.resolve()
    const follow = () => {
      const active = reconciler.isActiveGateway()
      if (active && !campaign) {
        const stop = new AbortController()
        log.info('this node hosts the active gateway: campaigning to lead Globalnet')
        previous = previous.then(() => (stop.signal.aborted ? undefined : newElector().run(stop.signal)))
        campaign = {done: previous, stop}
      } else if (!active && campaign) {
        const ending = campaign
        campaign = undefined
        log.info('the active gateway moved away: leaving Globalnet')
        ending.stop.abort()
      }
    }

    caches.submarinerEndpoints.onEvent(follow)
    await controller.start()
    controller.queue.add(KEY)
    follow()
    context.health.ready = true
    await aborted(context.signal)
    // A leader that stops leaves no translation behind, and does so first: the grace period is short.
    reconciler.leading = false
    controller.stop()
    await dataplane.flush().catch((error: unknown) => log.warn('could not flush the Globalnet chains', {error}))
    const ending = campaign
    ending?.stop.abort()
    await ending?.done
    client.close()
    return 0
  },
}
