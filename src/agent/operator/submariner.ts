/**
 * The Submariner CR → the connectivity components (reference/dataplane.md §7): network discovery,
 * the gateway, route agent and (with a global CIDR) Globalnet DaemonSets, the metrics Services, the
 * ServiceDiscovery CR when service discovery is on, and the CR's status. Deleting the CR runs the
 * uninstall DaemonSets on every node before the finalizer is released.
 */
import {CABLE_DRIVER_FAILED, CABLE_DRIVERS, CLEANUP_FINALIZER, SERVICE_DISCOVERY_CR, type Gateway, type ServiceDiscovery, type Submariner, type SubmarinerStatus} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import type {Informer} from '../../k8s/informer.js'
import {splitKey, type KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {
  GATEWAY,
  GLOBALNET,
  ROUTE_AGENT,
  gatewayDaemonSet,
  globalnetDaemonSet,
  metricsServices,
  routeAgentDaemonSet,
  type EffectiveNetwork,
} from '../../manifests/components.js'
import type {ProxySettings} from '../../manifests/operator.js'
import type {NetworkDetails} from '../../lib/network-discovery.js'
import type {Logger} from '../runtime/log.js'
import type {ReconcileResult} from '../runtime/workqueue.js'
import {condition, daemonSetReady, ownedBy, setCondition, statusChanged, type DaemonSetObject} from './status.js'

/** How long the uninstall DaemonSets may take before the finalizer is released anyway. */
export const UNINSTALL_TIMEOUT_MS = 120_000

export interface SubmarinerDeps {
  client: KubeClient
  log: Logger
  daemonSets: Informer<DaemonSetObject>
  gateways: Informer<KubeObject & {status?: unknown}>
  discover: () => Promise<NetworkDetails | undefined>
  proxy: ProxySettings
  version: string
}

export function effectiveNetwork(cr: Submariner, discovered: NetworkDetails | undefined): EffectiveNetwork {
  return {
    clusterCIDR: cr.spec.clusterCIDR || discovered?.podCIDRs.join(',') || '',
    networkPlugin: discovered?.networkPlugin ?? 'generic',
    serviceCIDR: cr.spec.serviceCIDR || discovered?.serviceCIDRs.join(',') || '',
  }
}

function serviceDiscoveryFor(cr: Submariner): ServiceDiscovery {
  const spec = cr.spec
  return {
    apiVersion: 'submariner.io/v1alpha1',
    kind: 'ServiceDiscovery',
    metadata: {name: SERVICE_DISCOVERY_CR, namespace: cr.metadata.namespace, ownerReferences: ownedBy(cr)},
    spec: {
      brokerK8sApiServer: spec.brokerK8sApiServer,
      brokerK8sApiServerToken: spec.brokerK8sApiServerToken,
      brokerK8sCA: spec.brokerK8sCA,
      brokerK8sInsecure: spec.brokerK8sInsecure,
      brokerK8sRemoteNamespace: spec.brokerK8sRemoteNamespace,
      brokerK8sSecret: spec.brokerK8sSecret,
      clusterID: spec.clusterID,
      clustersetIPCIDR: spec.clustersetIPCIDR,
      clustersetIPEnabled: spec.clustersetIPEnabled,
      ...(spec.coreDNSCustomConfig ? {coreDNSCustomConfig: spec.coreDNSCustomConfig} : {}),
      ...(spec.customDomains ? {customDomains: spec.customDomains} : {}),
      debug: spec.debug,
      globalnetEnabled: Boolean(spec.globalCIDR),
      imageOverrides: spec.imageOverrides,
      namespace: spec.namespace,
      repository: spec.repository,
      version: spec.version,
    },
  }
}

async function applyOwned(client: KubeClient, owner: Submariner, object: KubeObject): Promise<KubeObject> {
  return client.apply({...object, metadata: {...object.metadata, ownerReferences: ownedBy(owner)}})
}

/** Removes the components, runs the uninstall DaemonSets to completion, then releases the CR. */
async function cleanUp(cr: Submariner, deps: SubmarinerDeps, network: EffectiveNetwork): Promise<ReconcileResult> {
  const {client, log} = deps
  const namespace = cr.metadata.namespace as string
  for (const name of [GATEWAY, ROUTE_AGENT, GLOBALNET]) await client.delete(Resources.DaemonSet, name, namespace)
  for (const service of metricsServices(namespace, true)) await client.delete(Resources.Service, service.metadata.name as string, namespace)
  await client.delete(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, namespace)

  const uninstallers = [gatewayDaemonSet(cr.spec, network, deps.proxy, true), routeAgentDaemonSet(cr.spec, network, true)]
  if (cr.spec.globalCIDR) uninstallers.push(globalnetDaemonSet(cr.spec, network, true))
  const deletedAt = Date.parse(cr.metadata.deletionTimestamp as string)
  const timedOut = Date.now() - deletedAt > UNINSTALL_TIMEOUT_MS
  // The components must be gone first, or their pods would fight the cleanup on the same nodes.
  const componentsGone = [GATEWAY, ROUTE_AGENT, GLOBALNET].every((name) => !deps.daemonSets.get(`${namespace}/${name}`))
  if (!componentsGone && !timedOut) return {requeueAfterMs: 1000}

  let done = timedOut
  if (!done) {
    for (const daemonSet of uninstallers) await applyOwned(client, cr, daemonSet)
    done = uninstallers.every((daemonSet) => daemonSetReady(deps.daemonSets.get(`${namespace}/${daemonSet.metadata.name}`)))
  }

  if (!done) return {requeueAfterMs: 1000}
  if (timedOut) log.warn('the uninstall DaemonSets did not finish in time; releasing the Submariner CR anyway')
  for (const daemonSet of uninstallers) await client.delete(Resources.DaemonSet, daemonSet.metadata.name as string, namespace)
  const finalizers = (cr.metadata.finalizers ?? []).filter((finalizer) => finalizer !== CLEANUP_FINALIZER)
  await client.mergePatch(Resources.Submariner, cr.metadata.name as string, namespace, {metadata: {finalizers, resourceVersion: cr.metadata.resourceVersion}})
  log.info('Submariner removed from the cluster')
  return undefined
}

export async function reconcileSubmariner(key: string, deps: SubmarinerDeps): Promise<ReconcileResult> {
  const {name, namespace} = splitKey(key)
  const {client} = deps
  const cr = await client.tryGet<Submariner>(Resources.Submariner, name, namespace)
  if (!cr) return undefined
  const discovered = cr.spec.clusterCIDR && cr.spec.serviceCIDR ? undefined : await deps.discover()
  const network = effectiveNetwork(cr, discovered)

  if (cr.metadata.deletionTimestamp) {
    return (cr.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER) ? cleanUp(cr, deps, network) : undefined
  }

  if (!(cr.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
    await client.mergePatch(Resources.Submariner, name, namespace, {
      metadata: {finalizers: [...(cr.metadata.finalizers ?? []), CLEANUP_FINALIZER], resourceVersion: cr.metadata.resourceVersion},
    })
    return {requeueAfterMs: 0}
  }

  const daemonSets = [gatewayDaemonSet(cr.spec, network, deps.proxy), routeAgentDaemonSet(cr.spec, network)]
  if (cr.spec.globalCIDR) daemonSets.push(globalnetDaemonSet(cr.spec, network))
  else await client.delete(Resources.DaemonSet, GLOBALNET, namespace)
  // The generation each DaemonSet has now: the informer's copy may still be of the one before.
  const appliedGeneration = new Map<string, number>()
  for (const object of [...daemonSets, ...metricsServices(namespace as string, Boolean(cr.spec.globalCIDR))]) {
    const applied = await applyOwned(client, cr, object)
    if (applied.kind === 'DaemonSet') appliedGeneration.set(applied.metadata.name as string, applied.metadata.generation ?? 0)
  }
  if (cr.spec.serviceDiscoveryEnabled) await client.apply(serviceDiscoveryFor(cr))
  else await client.delete(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, namespace)

  const summary = (dsName: string) => {
    const daemonSet = deps.daemonSets.get(`${namespace}/${dsName}`)
    return daemonSet ? {lastResourceVersion: daemonSet.metadata.resourceVersion, status: daemonSet.status ?? {}} : undefined
  }

  const pending = daemonSets
    .map((daemonSet) => daemonSet.metadata.name as string)
    .filter((dsName) => {
      const seen = deps.daemonSets.get(`${namespace}/${dsName}`)
      return !daemonSetReady(seen) || (seen?.metadata.generation ?? 0) < (appliedGeneration.get(dsName) ?? 0)
    })
  // A gateway whose cable driver cannot start is a failure with a known cause, not a wait; one
  // that still reports another driver than the CR's is a gateway from before, about to be replaced.
  const driverFailures = (deps.gateways.list() as Gateway[])
    .filter((gateway) => gateway.metadata.namespace === namespace && gateway.status?.localEndpoint.backend === (cr.spec.cableDriver || CABLE_DRIVERS[0]))
    .flatMap((gateway) => {
      const failed = gateway.status?.conditions?.find((entry) => entry.type === 'CableDriverReady' && entry.status === 'False')
      return failed ? [`gateway ${gateway.metadata.name}: ${failed.message}`] : []
    })
  const status: SubmarinerStatus = {
    ...(cr.spec.airGappedDeployment ? {airGappedDeployment: true} : {}),
    clusterCIDR: network.clusterCIDR,
    clusterID: cr.spec.clusterID,
    conditions: setCondition(
      cr.status?.conditions,
      {
        ...(driverFailures.length > 0
          ? condition('Ready', 'False', CABLE_DRIVER_FAILED, driverFailures.join('; '))
          : pending.length === 0
            ? condition('Ready', 'True', 'ComponentsReady', 'All connectivity components are deployed and ready')
            : condition('Ready', 'False', 'ComponentsNotReady', `Waiting for ${pending.join(', ')}`)),
        // Which spec the condition speaks of: join waits for one about the spec it wrote.
        observedGeneration: cr.metadata.generation,
      },
    ),
    gatewayDaemonSetStatus: summary(GATEWAY),
    gateways: deps.gateways
      .list()
      .filter((gateway) => gateway.metadata.namespace === namespace && gateway.status)
      .map((gateway) => gateway.status) as SubmarinerStatus['gateways'],
    globalCIDR: cr.spec.globalCIDR ?? '',
    natEnabled: cr.spec.natEnabled ?? false,
    networkPlugin: network.networkPlugin,
    routeAgentDaemonSetStatus: summary(ROUTE_AGENT),
    serviceCIDR: network.serviceCIDR,
    version: deps.version,
    ...(cr.spec.clustersetIPCIDR ? {clustersetIPCIDR: cr.spec.clustersetIPCIDR} : {}),
    ...(cr.spec.globalCIDR ? {globalnetDaemonSetStatus: summary(GLOBALNET)} : {}),
  }
  if (statusChanged(cr.status, status)) await client.update({...cr, status}, 'status')
  return undefined
}
