/**
 * Gathers what network discovery looks at from a cluster, and runs it (lib/network-discovery).
 * The last resort for the service CIDR is upstream's deliberate side effect: asking the API server
 * to create a Service with an impossible clusterIP and reading the valid range from its refusal.
 */
import type {KubeClient} from './client.js'
import type {ConfigMap, KubeObject, NodeObject} from './objects.js'
import {Resources} from './resources.js'
import {discoverFromFacts, serviceRangeFromError, type ClusterFacts, type NetworkDetails} from '../lib/network-discovery.js'

interface PodObject extends KubeObject {
  spec: {containers: Array<{command?: string[]; args?: string[]; env?: Array<{name: string; value?: string}>}>}
}

interface DaemonSetObject extends KubeObject {
  spec: {template: {spec: {volumes?: Array<{name: string; configMap?: {name: string}}>}}}
}

async function gatherFacts(client: KubeClient): Promise<ClusterFacts> {
  const [pods, daemonSets, configMaps, nodes, serviceCIDR, openshift] = await Promise.all([
    client.list<PodObject>(Resources.Pod),
    client.list<DaemonSetObject>(Resources.DaemonSet),
    client.list<ConfigMap>(Resources.ConfigMap),
    client.list<NodeObject>(Resources.Node),
    client.tryGet<KubeObject & {spec?: {cidrs?: string[]}}>(Resources.ServiceCIDR, 'kubernetes'),
    client.tryGet<KubeObject & {spec?: {clusterNetwork?: Array<{cidr: string}>; serviceNetwork?: string[]; networkType?: string}}>(Resources.OpenShiftNetwork, 'cluster'),
  ])
  const interesting = /^(calico-config|ovn-config|kubeadm-config|kube-proxy|.*flannel.*)$/
  return {
    configMaps: Object.fromEntries(
      configMaps.items
        .filter((configMap) => interesting.test(configMap.metadata.name ?? ''))
        .map((configMap) => [`${configMap.metadata.namespace}/${configMap.metadata.name}`, configMap.data ?? {}]),
    ),
    daemonSets: daemonSets.items.map((daemonSet) => ({
      configMapVolumes: Object.fromEntries(
        (daemonSet.spec.template.spec.volumes ?? []).flatMap((volume) => (volume.configMap ? [[volume.name, volume.configMap.name]] : [])),
      ),
      labels: daemonSet.metadata.labels ?? {},
      name: daemonSet.metadata.name ?? '',
      namespace: daemonSet.metadata.namespace ?? '',
    })),
    nodePodCIDRs: nodes.items.flatMap((node) => (node.spec?.podCIDR ? [node.spec.podCIDR] : [])),
    ...(openshift?.spec
      ? {
          openshift: {
            clusterNetwork: (openshift.spec.clusterNetwork ?? []).map((entry) => entry.cidr),
            networkType: openshift.spec.networkType ?? '',
            serviceNetwork: openshift.spec.serviceNetwork ?? [],
          },
        }
      : {}),
    pods: pods.items.map((pod) => ({containers: pod.spec.containers, labels: pod.metadata.labels ?? {}, namespace: pod.metadata.namespace ?? ''})),
    ...(serviceCIDR?.spec?.cidrs ? {serviceCIDRObject: serviceCIDR.spec.cidrs} : {}),
  }
}

/** Creates nothing: the API server refuses the Service and names the valid range. */
async function probeServiceRange(client: KubeClient): Promise<string | undefined> {
  try {
    await client.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: 'invalid-svc', namespace: 'default'},
      spec: {clusterIP: '1.1.1.1', ports: [{port: 443}]},
    })
    // Should the range include 1.1.1.1 after all, take the Service away again.
    await client.delete(Resources.Service, 'invalid-svc', 'default')
    return undefined
  } catch (error) {
    return serviceRangeFromError((error as Error).message)
  }
}

/** The cluster's network plugin and CIDRs, or undefined when nothing could be found. */
export async function discoverNetwork(client: KubeClient): Promise<NetworkDetails | undefined> {
  const details = discoverFromFacts(await gatherFacts(client))
  if (details && details.serviceCIDRs.length > 0) return details
  const range = await probeServiceRange(client)
  if (!range) return details
  return {networkPlugin: details?.networkPlugin ?? 'generic', podCIDRs: details?.podCIDRs ?? [], serviceCIDRs: [range]}
}
