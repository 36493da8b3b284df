/**
 * uninstall (reference/subctl.md §11, DESIGN §2): removes Submariner from the cluster: the CRs
 * (the operator cleans the nodes before releasing them), this cluster's records on the broker,
 * the broker when it is here and no other cluster uses it (unless --force), the cluster-wide RBAC,
 * the operator namespace, the CRDs and the gateway labels. `--dry-run` lists what would go.
 */
import {
  CLEANUP_FINALIZER,
  GATEWAY_LABEL,
  SERVICE_DISCOVERY_CR,
  SUBMARINER_CR,
  type Broker,
  type Cluster,
  type Endpoint,
  type ServiceDiscovery,
  type Submariner,
} from '../api/submariner.js'
import type {KubeClient} from '../k8s/client.js'
import {openCluster} from '../k8s/connect.js'
import type {KubeConnectionOptions} from '../k8s/kubeconfig.js'
import type {KubeObject, PodObject, ConfigMap, ClusterRoleBindingObject} from '../k8s/objects.js'
import {Resources, type ResourceType} from '../k8s/resources.js'
import {waitForObject} from '../k8s/wait.js'
import {removeLighthouseSection} from '../lib/corefile.js'
import {SubctlError, usageError} from '../lib/errors.js'
import type {Reporter} from '../lib/reporter.js'
import {openBrokerOf} from './broker-access.js'

export interface UninstallOptions {
  connection: KubeConnectionOptions
  /** The Submariner namespace. */
  namespace: string
  yes: boolean
  force: boolean
  dryRun: boolean
  timeoutMs: number
}

export interface UninstallResult {
  cluster: string
  /** What was (or, with --dry-run, would be) removed: "Kind name" or "Kind namespace/name". */
  removed: string[]
  keptBroker: boolean
}

/** Time the operator gets to clean up after a CR is deleted (upstream waits 2m30s). */
const CR_DELETION_TIMEOUT_MS = 150_000

const describe = (type: ResourceType, object: KubeObject) =>
  `${type.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`

interface Installed {
  submariner?: Submariner
  serviceDiscovery?: ServiceDiscovery
  broker?: Broker
  /** Other clusters still on a broker that is here. */
  brokerUsers: string[]
}

async function inspect(client: KubeClient, namespace: string): Promise<Installed> {
  const submariner = await client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, namespace)
  const serviceDiscovery = await client.tryGet<ServiceDiscovery>(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, namespace)
  const broker = (await client.tryList<Broker>(Resources.Broker))[0]
  const ownId = submariner?.spec.clusterID ?? serviceDiscovery?.spec.clusterID
  let brokerUsers: string[] = []
  if (broker) {
    const brokerNamespace = broker.metadata.namespace as string
    const clusters = await client.tryList<Cluster>(Resources.Cluster, {namespace: brokerNamespace})
    const endpoints = await client.tryList<Endpoint>(Resources.Endpoint, {namespace: brokerNamespace})
    brokerUsers = [...new Set([...clusters.map((cluster) => cluster.spec.cluster_id), ...endpoints.map((endpoint) => endpoint.spec.cluster_id)])]
      .filter((id) => id && id !== ownId)
      .sort()
  }

  return {brokerUsers, ...(broker ? {broker} : {}), ...(serviceDiscovery ? {serviceDiscovery} : {}), ...(submariner ? {submariner} : {})}
}

/** Deletes a CR and waits for the operator's cleanup; without a running operator, releases it. */
async function deleteCr(client: KubeClient, type: ResourceType, cr: KubeObject, namespace: string, reporter: Reporter): Promise<void> {
  const name = cr.metadata.name as string
  await reporter.step(`Deleting the ${type.kind} resource - this may take some time`, async (step) => {
    await client.delete(type, name, namespace)
    try {
      await waitForObject(client, type, name, namespace, (object) => object === undefined, {description: `${type.kind} ${name} to be removed`, timeoutMs: CR_DELETION_TIMEOUT_MS})
    } catch (error) {
      const pods = await client.list<PodObject>(Resources.Pod, {labelSelector: 'name=submariner-operator', namespace})
      if (pods.items.some((pod) => pod.status?.phase === 'Running')) {
        throw new SubctlError('UNINSTALL_STUCK', `The Submariner operator pod appears to be running but did not complete deletion of the ${type.kind} resource`, {
          cause: error,
          hint: `Check the operator's logs: kubectl -n ${namespace} logs deploy/submariner-operator`,
        })
      }

      step.warning(`The Submariner operator is not running, so deletion of the ${type.kind} resource was not completed - the resource will be force-deleted`)
      const current = await client.tryGet(type, name, namespace)
      if (current) {
        const finalizers = (current.metadata.finalizers ?? []).filter((finalizer) => finalizer !== CLEANUP_FINALIZER)
        await client.mergePatch(type, name, namespace, {metadata: {finalizers}})
      }
    }
  })
}

/** This cluster's Endpoint and Cluster records on the broker, with the cluster's own broker credentials. */
async function removeBrokerRecords(client: KubeClient, cr: Submariner, namespace: string, removed: string[], dryRun: boolean): Promise<void> {
  const broker = await openBrokerOf(client, cr.spec, {namespace})
  try {
    const brokerNamespace = cr.spec.brokerK8sRemoteNamespace
    for (const type of [Resources.Endpoint, Resources.Cluster]) {
      for (const object of await broker.tryList<Endpoint | Cluster>(type, {namespace: brokerNamespace})) {
        if (object.spec.cluster_id !== cr.spec.clusterID) continue
        removed.push(`${describe(type, object)} (on the broker)`)
        if (!dryRun) await broker.delete(type, object.metadata.name as string, brokerNamespace)
      }
    }
  } finally {
    broker.close()
  }
}

export async function uninstall(options: UninstallOptions, reporter: Reporter, confirm?: (cluster: string) => Promise<boolean>): Promise<UninstallResult | undefined> {
  const {client, target} = await openCluster(options.connection)
  const cluster = target.clusterName
  const removed: string[] = []
  try {
    const installed = await reporter.step(`Checking what is installed on cluster "${cluster}"`, () => inspect(client, options.namespace))
    const keptBroker = installed.broker !== undefined && installed.brokerUsers.length > 0
    if (keptBroker && !options.force) {
      throw new SubctlError(
        'BROKER_IN_USE',
        `The broker in namespace "${installed.broker?.metadata.namespace}" still has joined clusters: ${installed.brokerUsers.join(', ')}`,
        {hint: 'Uninstall Submariner from those clusters first, or pass --force to remove the broker anyway', kind: 'usage'},
      )
    }

    if (!options.dryRun && !options.yes) {
      if (!confirm) {
        throw usageError('CONFIRMATION_REQUIRED', `Uninstalling Submariner from cluster "${cluster}" needs confirmation and there is no terminal to ask on`, 'Pass --yes')
      }

      if (!(await confirm(cluster))) return undefined
    }

    const {namespace} = options
    if (installed.submariner) {
      const submariner = installed.submariner
      removed.push(describe(Resources.Submariner, submariner))
      await reporter.step('Removing this cluster’s records from the broker', async (step) => {
        try {
          await removeBrokerRecords(client, submariner, namespace, removed, options.dryRun)
        } catch (error) {
          step.warning(`Could not reach the broker to remove this cluster's records: ${(error as Error).message}`)
        }
      })
      if (!options.dryRun) await deleteCr(client, Resources.Submariner, submariner, namespace, reporter)
    }

    if (installed.serviceDiscovery) {
      removed.push(describe(Resources.ServiceDiscovery, installed.serviceDiscovery))
      if (!options.dryRun && (await client.tryGet(Resources.ServiceDiscovery, SERVICE_DISCOVERY_CR, namespace))) {
        await deleteCr(client, Resources.ServiceDiscovery, installed.serviceDiscovery, namespace, reporter)
      }
    }

    await reporter.step('Removing the cluster DNS forwarding', async () => {
      const coredns = await client.tryGet<ConfigMap>(Resources.ConfigMap, 'coredns', 'kube-system')
      const corefile = coredns?.data?.Corefile
      if (coredns && corefile && removeLighthouseSection(corefile) !== corefile) {
        removed.push('the Lighthouse section of ConfigMap kube-system/coredns')
        if (!options.dryRun) await client.update({...coredns, data: {...coredns.data, Corefile: removeLighthouseSection(corefile)}})
      }
    })

    const deleteAll = async (type: ResourceType, objects: KubeObject[]) => {
      for (const object of objects) {
        removed.push(describe(type, object))
        if (!options.dryRun) await client.delete(type, object.metadata.name as string, object.metadata.namespace)
      }
    }

    if (installed.broker) {
      await reporter.step(`Deleting the broker namespace "${installed.broker.metadata.namespace}"`, async () => {
        await deleteAll(Resources.Namespace, [{metadata: {name: installed.broker?.metadata.namespace as string}}])
      })
    }

    await reporter.step('Deleting the Submariner cluster roles and bindings', async () => {
      const bindings = (await client.list<ClusterRoleBindingObject>(Resources.ClusterRoleBinding)).items.filter((binding) =>
        binding.metadata.name?.startsWith('submariner-'),
      )
      await deleteAll(Resources.ClusterRoleBinding, bindings)
      const roles = (await client.list<KubeObject>(Resources.ClusterRole)).items.filter(
        (role) => role.metadata.name?.startsWith('submariner-') || bindings.some((binding) => binding.roleRef.name === role.metadata.name),
      )
      await deleteAll(Resources.ClusterRole, roles)
    })

    await reporter.step(`Deleting the Submariner namespace "${namespace}"`, async () => {
      if (await client.tryGet(Resources.Namespace, namespace)) await deleteAll(Resources.Namespace, [{metadata: {name: namespace}}])
      if (!options.dryRun) {
        await waitForObject(client, Resources.Namespace, namespace, undefined, (object) => object === undefined, {
          description: `namespace ${namespace} to be removed`,
          timeoutMs: options.timeoutMs,
        })
      }
    })

    await reporter.step('Deleting the Submariner custom resource definitions', async (step) => {
      const crds = (await client.list<KubeObject>(Resources.CustomResourceDefinition)).items
      const doomed = crds.filter((crd) => crd.metadata.name?.endsWith('.submariner.io'))
      // The MCS CRDs may serve another implementation too: they go only when nothing uses them.
      const exports = await client.tryList(Resources.ServiceExport)
      const mcs = crds.filter((crd) => crd.metadata.name?.endsWith('.multicluster.x-k8s.io'))
      if (exports.length === 0) doomed.push(...mcs)
      else if (mcs.length > 0) step.warning(`Keeping the Multi-Cluster Services CRDs: ${exports.length} ServiceExport(s) still exist`)
      await deleteAll(Resources.CustomResourceDefinition, doomed)
      // A CRD goes once the API server has deleted its objects: done means gone, as for the namespace.
      if (options.dryRun) return
      for (const crd of doomed) {
        await waitForObject(client, Resources.CustomResourceDefinition, crd.metadata.name as string, undefined, (object) => object === undefined, {
          description: `custom resource definition ${crd.metadata.name} to be removed`,
          timeoutMs: options.timeoutMs,
        })
      }
    })

    await reporter.step(`Unlabeling gateway nodes on cluster "${cluster}"`, async () => {
      const nodes = await client.list<KubeObject>(Resources.Node, {labelSelector: `${GATEWAY_LABEL}=true`})
      for (const node of nodes.items) {
        removed.push(`the ${GATEWAY_LABEL} label of Node ${node.metadata.name}`)
        if (!options.dryRun) await client.mergePatch(Resources.Node, node.metadata.name as string, undefined, {metadata: {labels: {[GATEWAY_LABEL]: null}}})
      }
    })

    return {cluster, keptBroker, removed}
  } finally {
    client.close()
  }
}
