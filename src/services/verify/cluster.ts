/**
 * A cluster as verify and benchmark see it: its client, its Submariner CR, and where its test pods
 * go (the active gateway's node, a node that is not a gateway).
 */
import {GATEWAY_LABEL, OPERATOR_NAMESPACE, SUBMARINER_CR, type Gateway, type Submariner} from '../../api/submariner.js'
import type {KubeClient} from '../../k8s/client.js'
import {openCluster} from '../../k8s/connect.js'
import type {KubeConnectionOptions} from '../../k8s/kubeconfig.js'
import type {NodeObject} from '../../k8s/objects.js'
import {Resources} from '../../k8s/resources.js'

export interface TestCluster {
  /** The kube context, as the user named it. */
  context: string
  client: KubeClient
  /** Absent on a cluster that has not joined. */
  submariner?: Submariner
  /** spec.clusterID, else the kubeconfig cluster name (upstream's framework starts from it too). */
  clusterId: string
  gatewayNodes: string[]
  /** The node of the active gateway, else the first gateway node. */
  gatewayNode?: string
  /** A ready node that is not a gateway. */
  nonGatewayNode?: string
}

export async function openTestCluster(options: KubeConnectionOptions, fieldManager: string): Promise<TestCluster> {
  const {client, target} = await openCluster(options, fieldManager)
  try {
    return await describeCluster(client, options.context ?? target.contextName, target.clusterName)
  } catch (error) {
    client.close()
    throw error
  }
}

export async function describeCluster(client: KubeClient, context: string, clusterName: string): Promise<TestCluster> {
  const submariner = await client.tryGet<Submariner>(Resources.Submariner, SUBMARINER_CR, OPERATOR_NAMESPACE)
  const nodes = (await client.list<NodeObject>(Resources.Node)).items
  const ready = nodes.filter((node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'))
  const gatewayNodes = ready.filter((node) => node.metadata.labels?.[GATEWAY_LABEL] === 'true').map((node) => node.metadata.name as string)
  const gateways = submariner ? await client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE}) : []
  const active = gateways.find((gateway) => gateway.status?.haStatus === 'active')?.metadata.name
  const gatewayNode = active && gatewayNodes.includes(active) ? active : gatewayNodes[0]
  const nonGatewayNode = ready.find((node) => node.metadata.labels?.[GATEWAY_LABEL] !== 'true')?.metadata.name
  return {
    client,
    clusterId: submariner?.spec.clusterID || clusterName,
    context,
    gatewayNodes,
    ...(gatewayNode ? {gatewayNode} : {}),
    ...(nonGatewayNode ? {nonGatewayNode} : {}),
    ...(submariner ? {submariner} : {}),
  }
}

/** The active gateway's node now (it moves during fail-over). */
export async function activeGatewayNode(cluster: TestCluster): Promise<string | undefined> {
  const gateways = await cluster.client.tryList<Gateway>(Resources.Gateway, {namespace: OPERATOR_NAMESPACE})
  return gateways.find((gateway) => gateway.status?.haStatus === 'active')?.metadata.name
}
