/**
 * The route agent's second reconcile loop: the clusterset-IP virtual IPs on this node (the rules are
 * lib/clusterset-ip.ts's). One key, level-triggered by the imports, the EndpointSlices and the
 * Gateways (whose connections say which clusters are up), and resynced every 30 s.
 */
import type {EndpointSlice, ServiceImport} from '../../api/mcs.js'
import type {Gateway} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {Informer} from '../../k8s/informer.js'
import {Resources} from '../../k8s/resources.js'
import {CLUSTERSET_IP_CHAIN, CLUSTERSET_IP_CHAIN_PREFIX, clustersetIpRules, connectedClusters} from '../../lib/clusterset-ip.js'
import type {AgentEnvironment} from '../config.js'
import type {Iptables} from '../netlink/iptables.js'
import {Controller} from '../runtime/controller.js'
import type {Logger} from '../runtime/log.js'

const RESYNC_MS = 30_000
/** Pod traffic, and the node's own. */
const HOOKS = ['PREROUTING', 'OUTPUT']

export function clustersetIpController(client: KubeClient, env: AgentEnvironment, iptables: Iptables, log: Logger): Controller {
  const imports = new Informer<ServiceImport>(client, Resources.ServiceImport, {log})
  const slices = new Informer<EndpointSlice>(client, Resources.EndpointSlice, {log})
  const gateways = new Informer<Gateway>(client, Resources.Gateway, {log, namespace: env.namespace})
  return new Controller(
    'clusterset-ip',
    async () => {
      const program = clustersetIpRules({connected: connectedClusters(gateways.list()), imports: imports.list(), localCluster: env.clusterId, slices: slices.list()})
      const result = await iptables.syncChains('nat', CLUSTERSET_IP_CHAIN_PREFIX, {chain: CLUSTERSET_IP_CHAIN, rules: program.entry}, program.chains)
      // Order is no concern here: KUBE-SERVICES matches no clusterset IP, so appending is enough.
      for (const hook of HOOKS) await iptables.ensureJump('nat', hook, CLUSTERSET_IP_CHAIN, 'last')
      if (result.written > 0 || result.deleted > 0) log.info('programmed the clusterset IPs', {chainsDeleted: result.deleted, chainsWritten: result.written, servicePorts: program.entry.length})
      return {requeueAfterMs: RESYNC_MS}
    },
    log,
  )
    .watch(imports, () => ['rules'])
    .watch(slices, () => ['rules'])
    .watch(gateways, () => ['rules'])
}

/** Uninstall: every chain the entry led to, then the entry chain and its jumps. */
export async function removeClustersetIp(iptables: Iptables): Promise<void> {
  await iptables.syncChains('nat', CLUSTERSET_IP_CHAIN_PREFIX, {chain: CLUSTERSET_IP_CHAIN, rules: []}, new Map())
  await iptables.deleteChain(
    'nat',
    CLUSTERSET_IP_CHAIN,
    HOOKS.map((from) => ({from})),
  )
}
