/** The lighthouse-agent role: wires the caches of both clusters to the per-service reconcile. */
import {Gauge} from 'prom-client'

import {LABEL_SOURCE_NAMESPACE, type EndpointSlice, type ServiceExport, type ServiceImport, type ServiceObject} from '../../api/mcs.js'
import type {KubeClient} from '../../k8s/client.js'
import {inClusterClient} from '../../k8s/clients.js'
import {brokerClient, brokerSettings} from '../../k8s/in-cluster.js'
import {Informer} from '../../k8s/informer.js'
import type {KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {clusterIdError} from '../../lib/cluster-id.js'
import {flag} from '../config.js'
import {Controller} from '../runtime/controller.js'
import type {Logger} from '../runtime/log.js'
import {aborted, ArgumentError, type RoleModule} from '../runtime/role.js'
import {LighthouseAgent, type LighthouseCaches, type LighthouseSettings} from './agent.js'
import {keysOf} from '../../lib/lighthouse-plan.js'

/**
 * The agent's caches of both clusters, wired to the per-service reconcile (four at once), started
 * and given every known key. The role runs it; tests run two of them against one broker.
 */
export async function startLighthouse(options: {local: KubeClient; broker: KubeClient; settings: LighthouseSettings; log: Logger}): Promise<{agent: LighthouseAgent; caches: LighthouseCaches; controller: Controller}> {
  const {broker, local, log, settings} = options
  // Slices are indexed by the service they belong to: a reconcile reads a service's slices, and a
  // pass over every slice of the cluster per reconcile grows with the square of the services.
  const byService = (slice: EndpointSlice) => keysOf(slice, settings)[0]
  const caches: LighthouseCaches = {
    brokerImports: new Informer<ServiceImport>(broker, Resources.ServiceImport, {log, namespace: settings.brokerNamespace}),
    brokerSlices: new Informer<EndpointSlice>(broker, Resources.EndpointSlice, {labelSelector: 'endpointslice.kubernetes.io/managed-by=lighthouse-agent.submariner.io', log, namespace: settings.brokerNamespace}, byService),
    exports: new Informer<ServiceExport>(local, Resources.ServiceExport, {log}),
    imports: new Informer<ServiceImport>(local, Resources.ServiceImport, {log}),
    namespaces: new Informer<KubeObject>(local, Resources.Namespace, {log}),
    services: new Informer<ServiceObject>(local, Resources.Service, {log}),
    slices: new Informer<EndpointSlice>(local, Resources.EndpointSlice, {log}, byService),
    ...(settings.globalnet ? {globalIngressIPs: new Informer(local, Resources.GlobalIngressIP, {log})} : {}),
  }
  const agent = new LighthouseAgent({broker, caches, local, log, settings})
  const controller = new Controller('lighthouse', (key) => agent.reconcile(key), log, 4)
  const keys = (object: KubeObject) => keysOf(object, settings)
  controller
    .watch(caches.exports, keys)
    .watch(caches.services, keys)
    .watch(caches.slices, keys)
    .watch(caches.imports, keys)
    .watch(caches.brokerImports, keys)
    .watch(caches.brokerSlices, keys)
    // A namespace created (or re-created) here brings the services exported from it elsewhere.
    .watch(caches.namespaces, (namespace) =>
      caches.brokerImports.list().flatMap((aggregate) => (aggregate.metadata.annotations?.[LABEL_SOURCE_NAMESPACE] === namespace.metadata.name ? keys(aggregate) : [])),
    )
  if (caches.globalIngressIPs) controller.watch(caches.globalIngressIPs, keys)

  await controller.start()
  for (const key of agent.allKeys()) controller.queue.add(key)
  return {agent, caches, controller}
}

export const lighthouseAgentRole: RoleModule = {
  defaultMetricsPort: 8082,
  async run(_args, context) {
    const {env, log} = context
    const clusterId = env.SUBMARINER_CLUSTERID ?? ''
    const problem = clusterIdError(clusterId)
    if (problem) throw new ArgumentError(`SUBMARINER_CLUSTERID: ${problem}`)
    const brokerConfig = brokerSettings(env)
    const settings: LighthouseSettings = {
      brokerNamespace: brokerConfig.namespace,
      clusterId,
      clustersetIPCIDR: env.SUBMARINER_CLUSTERSET_IP_CIDR ?? '',
      clustersetIPEnabled: flag(env.SUBMARINER_CLUSTERSET_IP_ENABLED),
      globalnet: flag(env.SUBMARINER_GLOBALNET_ENABLED),
      namespace: env.SUBMARINER_NAMESPACE || 'submariner-operator',
    }
    const local = await inClusterClient('lighthouse-agent')
    const broker = await brokerClient(brokerConfig, 'lighthouse-agent')
    const {caches, controller} = await startLighthouse({broker, local, log, settings})
    const exportsGauge = new Gauge({help: 'Services this cluster exports', name: 'submariner_service_export', registers: [context.registry]})
    const importsGauge = new Gauge({help: 'Services imported into this cluster', name: 'submariner_service_import', registers: [context.registry]})
    const gauges = setInterval(() => {
      exportsGauge.set(caches.exports.list().length)
      importsGauge.set(caches.imports.list().filter((entry) => !entry.metadata.labels?.['multicluster.kubernetes.io/service-name']).length)
    }, 5000)
    context.health.ready = true
    log.info('lighthouse agent started', {broker: brokerConfig.apiServer, cluster: clusterId})
    await aborted(context.signal)
    clearInterval(gauges)
    controller.stop()
    local.close()
    broker.close()
    return 0
  },
}
