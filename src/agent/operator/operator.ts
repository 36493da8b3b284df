/**
 * The operator role: turns the Submariner, ServiceDiscovery and Broker CRs into running
 * components. Three level-triggered controllers; workload and Gateway changes requeue their CR.
 */
import {OPERATOR_NAMESPACE, SERVICE_DISCOVERY_CR, SUBMARINER_CR, type Broker, type ServiceDiscovery, type Submariner} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {inClusterClient} from '../../k8s/clients.js'
import {Informer} from '../../k8s/informer.js'
import {objectKey, type KubeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {VERSION} from '../../lib/version.js'
import {memberCrds} from '../../manifests/crds.js'
import {discoverNetwork} from '../../k8s/network-discovery.js'
import type {ProxySettings} from '../../manifests/operator.js'
import {Controller} from '../runtime/controller.js'
import type {Logger} from '../runtime/log.js'
import {aborted, type RoleModule} from '../runtime/role.js'
import {reconcileBroker} from './broker.js'
import {reconcileServiceDiscovery} from './service-discovery.js'
import type {DaemonSetObject, DeploymentObject} from './status.js'
import {reconcileSubmariner} from './submariner.js'

export interface OperatorOptions {
  namespace: string
  log: Logger
  proxy: ProxySettings
}

/** The operator's three controllers on a client, started: what the role runs, and what the envtest tier drives. */
export async function startOperator(client: KubeClient, options: OperatorOptions): Promise<Controller[]> {
  const {log, namespace, proxy} = options
  // Upstream's operator installs these at start-up, so ServiceExports work before any join finishes.
  for (const crd of memberCrds()) await client.apply(crd)

  const daemonSets = new Informer<DaemonSetObject>(client, Resources.DaemonSet, {log, namespace})
  const deployments = new Informer<DeploymentObject>(client, Resources.Deployment, {log, namespace})
  const gateways = new Informer<KubeObject>(client, Resources.Gateway, {log, namespace})
  const submarinerKey = `${namespace}/${SUBMARINER_CR}`
  const discoveryKey = `${namespace}/${SERVICE_DISCOVERY_CR}`

  const submariner = new Controller('submariner', (key) => reconcileSubmariner(key, {client, daemonSets, discover: () => discoverNetwork(client), gateways, log, proxy, version: VERSION}), log)
    .watch(new Informer<Submariner>(client, Resources.Submariner, {log, namespace}), (object) => [objectKey(object)])
    .watch(daemonSets, () => [submarinerKey])
    .watch(gateways, () => [submarinerKey])
  const serviceDiscovery = new Controller('service-discovery', (key) => reconcileServiceDiscovery(key, {client, deployments, log, proxy}), log)
    .watch(new Informer<ServiceDiscovery>(client, Resources.ServiceDiscovery, {log, namespace}), (object) => [objectKey(object)])
    .watch(deployments, () => [discoveryKey])
    .watch(new Informer<KubeObject>(client, Resources.ConfigMap, {fieldSelector: 'metadata.name=coredns', log, namespace: 'kube-system'}), () => [discoveryKey])
  const brokers = new Controller('broker', (key) => reconcileBroker(key, client), log).watch(new Informer<Broker>(client, Resources.Broker, {log}), (object) => [objectKey(object)])

  const controllers = [submariner, serviceDiscovery, brokers]
  await Promise.all(controllers.map((controller) => controller.start()))
  return controllers
}

export const operatorRole: RoleModule = {
  defaultMetricsPort: 8080,
  async run(_args, context) {
    const {env, log} = context
    const namespace = env.WATCH_NAMESPACE || OPERATOR_NAMESPACE
    const client = await inClusterClient('submariner-operator')
    const controllers = await startOperator(client, {log, namespace, proxy: {httpProxy: env.HTTP_PROXY, httpsProxy: env.HTTPS_PROXY, noProxy: env.NO_PROXY}})
    context.health.ready = true
    log.info('operator started', {namespace})
    await aborted(context.signal)
    for (const controller of controllers) controller.stop()
    client.close()
    return 0
  },
}
