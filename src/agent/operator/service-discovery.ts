/**
 * The ServiceDiscovery CR → Lighthouse (reference/dataplane.md §7.5): the agent and DNS
 * Deployments and Services, the forwarding of clusterset.local (and the custom domains) from the
 * cluster's CoreDNS, and the CR's status. Deleting the CR removes the forwarding first.
 */
import {CLEANUP_FINALIZER, type ServiceDiscovery} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {retryOnConflict} from '../../k8s/retry.js'
import type {Informer} from '../../k8s/informer.js'
import {splitKey, type KubeObject, type ServiceModel} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'
import {removeLighthouseSection, withLighthouseSection, lighthouseServerBlocks} from '../../lib/corefile.js'
import {dnsZones, LIGHTHOUSE_AGENT, LIGHTHOUSE_DNS, lighthouseAgentDeployment, lighthouseDnsObjects} from '../../manifests/components.js'
import type {ProxySettings} from '../../manifests/operator.js'
import type {Logger} from '../runtime/log.js'
import type {ReconcileResult} from '../runtime/workqueue.js'
import {condition, deploymentReady, ownedBy, setCondition, statusChanged, type DeploymentObject} from './status.js'
import {sameContent} from '../../lib/canonical.js'

export const COREDNS_NAMESPACE = 'kube-system'
export const COREDNS_CONFIGMAP = 'coredns'
const CUSTOM_CONFIG_KEY = 'lighthouse.server'

export interface ServiceDiscoveryDeps {
  client: KubeClient
  log: Logger
  deployments: Informer<DeploymentObject>
  proxy: ProxySettings
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>
}

/**
 * Points the cluster DNS at Lighthouse: a section in kube-system/coredns's Corefile, or the
 * `lighthouse.server` key of a custom ConfigMap (coreDNSCustomConfig). `serviceIP` undefined removes it.
 */
async function configureClusterDns(client: KubeClient, cr: ServiceDiscovery, serviceIP: string | undefined): Promise<void> {
  const custom = cr.spec.coreDNSCustomConfig
  const namespace = custom?.namespace || COREDNS_NAMESPACE
  const name = custom?.configMapName || COREDNS_CONFIGMAP
  // A conflict left after the retries goes back to the work queue with the reconcile.
  await retryOnConflict(async () => {
    const configMap = await client.tryGet<ConfigMap>(Resources.ConfigMap, name, namespace)
    let data: Record<string, string>
    if (custom) {
      const {[CUSTOM_CONFIG_KEY]: _previous, ...rest} = configMap?.data ?? {}
      data = serviceIP ? {...rest, [CUSTOM_CONFIG_KEY]: lighthouseServerBlocks(dnsZones(cr.spec), serviceIP)} : rest
    } else {
      if (!configMap?.data?.Corefile) return
      const corefile = serviceIP ? withLighthouseSection(configMap.data.Corefile, dnsZones(cr.spec), serviceIP) : removeLighthouseSection(configMap.data.Corefile)
      data = {...configMap.data, Corefile: corefile}
    }

    if (sameContent(data, configMap?.data ?? {})) return
    if (configMap) await client.update({...configMap, data})
    else if (serviceIP) await client.create({apiVersion: 'v1', data, kind: 'ConfigMap', metadata: {name, namespace}})
  })
}

export async function reconcileServiceDiscovery(key: string, deps: ServiceDiscoveryDeps): Promise<ReconcileResult> {
  const {name, namespace} = splitKey(key)
  const {client, log} = deps
  const cr = await client.tryGet<ServiceDiscovery>(Resources.ServiceDiscovery, name, namespace)
  if (!cr) return undefined

  if (cr.metadata.deletionTimestamp) {
    if (!(cr.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return undefined
    await configureClusterDns(client, cr, undefined)
    for (const object of [lighthouseAgentDeployment(cr.spec), ...lighthouseDnsObjects(cr.spec)]) {
      const type = object.kind === 'Service' ? Resources.Service : Resources.Deployment
      await client.delete(type, object.metadata.name as string, namespace)
    }

    const finalizers = (cr.metadata.finalizers ?? []).filter((finalizer) => finalizer !== CLEANUP_FINALIZER)
    await client.mergePatch(Resources.ServiceDiscovery, name, namespace, {metadata: {finalizers, resourceVersion: cr.metadata.resourceVersion}})
    log.info('service discovery removed from the cluster')
    return undefined
  }

  if (!(cr.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
    await client.mergePatch(Resources.ServiceDiscovery, name, namespace, {
      metadata: {finalizers: [...(cr.metadata.finalizers ?? []), CLEANUP_FINALIZER], resourceVersion: cr.metadata.resourceVersion},
    })
    return {requeueAfterMs: 0}
  }

  for (const object of [lighthouseAgentDeployment(cr.spec, deps.proxy), ...lighthouseDnsObjects(cr.spec)]) {
    await client.apply({...object, metadata: {...object.metadata, ownerReferences: ownedBy(cr)}})
  }

  const service = await client.get<ServiceModel>(Resources.Service, LIGHTHOUSE_DNS, namespace)
  if (service.spec?.clusterIP) await configureClusterDns(client, cr, service.spec.clusterIP)

  const pending = [LIGHTHOUSE_AGENT, LIGHTHOUSE_DNS].filter((deployment) => !deploymentReady(deps.deployments.get(`${namespace}/${deployment}`)))
  const status = {
    conditions: setCondition(
      cr.status?.conditions,
      {
        ...(pending.length === 0
          ? condition('Ready', 'True', 'ComponentsReady', 'The Lighthouse agent and DNS server are deployed and ready')
          : condition('Ready', 'False', 'ComponentsNotReady', `Waiting for ${pending.join(', ')}`)),
        observedGeneration: cr.metadata.generation,
      },
    ),
  }
  if (statusChanged(cr.status, status)) await client.update({...cr, status}, 'status')
  return undefined
}
